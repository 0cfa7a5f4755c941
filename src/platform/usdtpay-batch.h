/* usdtpay-batch.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-core.h"

G_BEGIN_DECLS

/* What one request changes, as a list of operations the store writes in one
 * transaction (together with the other batches of its group). The engine
 * builds a batch on the main thread; the store's writer thread consumes it.
 * Every operation owns copies of its data, so the engine may go on changing
 * its own objects.
 */
typedef enum
{
  USDTPAY_OP_ORDER_PUT,
  USDTPAY_OP_EVENT_APPEND,
  USDTPAY_OP_TRANSFER,
  USDTPAY_OP_PRINCIPAL_PUT,
  USDTPAY_OP_SESSION_PUT,
  USDTPAY_OP_SESSION_DELETE,
  USDTPAY_OP_API_KEY_PUT,
  USDTPAY_OP_IDEMPOTENCY_PUT,
  USDTPAY_OP_META_PUT,
  USDTPAY_OP_WEBHOOK_PUT,
  USDTPAY_OP_DELIVERY_PUT,
  USDTPAY_OP_DELIVERY_ATTEMPT,
  USDTPAY_OP_RECEIPT_PUT,
  USDTPAY_OP_CHAIN_PUT,
  USDTPAY_OP_PURGE,
} UsdtpayOpKind;

typedef struct
{
  char   *account;
  gint64  amount;
} UsdtpayEntry;

typedef struct
{
  char        *name;
  UsdtpayRole  role;
  char        *password_hash;  /* nullable: shops have none */
  char        *settings;       /* JSON text, nullable */
  gboolean     suspended;
  gint64       last_matched_at;
  gint64       created_at;
} UsdtpayPrincipalRecord;

/* A shop's webhook endpoint; @url NULL when it has none. */
typedef struct
{
  char   *shop;
  char   *url;
  char   *secret;
  gint64  updated_at;
} UsdtpayWebhookRecord;

/* One event to deliver to one shop (usdtpay-webhooks.c). Written with the
 * event (the outbox) and again whenever an attempt changes it; @body is not
 * rewritten by updates. */
typedef struct
{
  gint64   id;
  char    *shop;
  char    *event_id;
  char    *event_type;
  char    *order_id;
  GBytes  *body;
  char    *state;            /* "pending", "delivered" or "failed" */
  guint    attempts;
  gint64   next_attempt_at;
  gint64   created_at;
  gint64   updated_at;
} UsdtpayDeliveryRecord;

typedef struct
{
  gint64  delivery_id;
  guint   n;                 /* 1 for the first attempt */
  gint64  at;
  guint   status;            /* HTTP status, 0 when none came */
  gint64  duration_ms;
  char   *error;             /* nullable */
} UsdtpayAttemptRecord;

/* Retention (usdtpay-retention.c): what a purge deletes. Nothing that
 * holds money or the event log is ever purged. */
typedef enum
{
  USDTPAY_PURGE_IDEMPOTENCY,   /* idempotency answers created before @before */
  USDTPAY_PURGE_DELIVERIES,    /* finished webhook deliveries last changed
                                * before @before, with their attempts */
  USDTPAY_PURGE_SESSIONS,      /* sessions that expired before @before */
} UsdtpayPurgeKind;

/* Written by the store's writer before the batch's done callback runs. */
typedef struct
{
  guint    rows;               /* rows deleted, attempts included */
  guint    items;              /* answers or deliveries deleted */
  gboolean more;               /* the limit stopped it: older rows remain */
  gint64   usec;               /* time it took in the writer */
} UsdtpayPurgeResult;

typedef struct
{
  UsdtpayOpKind kind;
  union {
    struct {
      UsdtpayOrder *order;
      gint64        held;       /* escrow frozen for this order */
      GBytes       *json;       /* the order as stored (no pay_url) */
    } order;
    struct {
      gint64            seq;
      UsdtpayEventType  type;
      gint64            at;
      char             *order_id;  /* nullable */
      char            **audience;  /* principal names; support sees all */
      GBytes           *body;      /* the encoded event */
    } event;
    struct {
      gint64        id;
      gint64        at;
      char         *kind;       /* "credit", "freeze", "release", "unfreeze"… */
      char         *order_id;   /* nullable */
      GArray       *entries;    /* of UsdtpayEntry, summing to zero */
    } transfer;
    UsdtpayPrincipalRecord principal;
    struct {
      char   *hash;             /* hex SHA-256 of the token */
      char   *principal;
      gint64  expires_at;
    } session;
    struct {
      char   *hash;
      char   *principal;
      char   *prefix;           /* first characters, to tell keys apart */
      char   *scopes;           /* space separated */
      gint64  created_at;
      gint64  revoked_at;
    } api_key;
    struct {
      char   *shop;
      char   *key;
      char   *body_hash;        /* hex SHA-256 of the request body */
      guint   status;
      GBytes *response;
      gint64  created_at;
    } idempotency;
    struct {
      char *key;
      char *value;
    } meta;
    UsdtpayWebhookRecord  webhook;
    UsdtpayDeliveryRecord delivery;
    UsdtpayAttemptRecord  attempt;
    struct {
      char   *order_id;
      gint64  seq;              /* the completing event's */
      char   *key_id;
      char   *text;             /* the signed canonical text */
      char   *signature;        /* hex */
    } receipt;
    struct {
      char   *kind;             /* "wallet", "deposit", "withdrawal" */
      char   *id;
      char   *owner;            /* nullable */
      char   *state;
      char   *tx_hash;          /* nullable */
      gint64  log_index;        /* deposits; -1 otherwise */
      gint64  amount;
      char   *data;             /* the whole record as JSON text */
    } chain;
    struct {
      UsdtpayPurgeKind    what;
      gint64              before;
      guint               limit;    /* at most this many rows */
      UsdtpayPurgeResult *result;   /* the submitter's, alive until done */
    } purge;
  };
} UsdtpayOp;

typedef struct _UsdtpayBatch UsdtpayBatch;

UsdtpayBatch *usdtpay_batch_new                (void);
void          usdtpay_batch_free               (UsdtpayBatch        *batch);
guint         usdtpay_batch_get_n_ops          (UsdtpayBatch        *batch);
const UsdtpayOp *usdtpay_batch_get_op          (UsdtpayBatch        *batch,
                                                guint                index);

/* Takes a reference on @json, @order as text (usdtpay_order_append_json()
 * without pay_url). */
void          usdtpay_batch_put_order          (UsdtpayBatch        *batch,
                                                const UsdtpayOrder  *order,
                                                gint64               held,
                                                GBytes              *json);
/* Takes a reference on @body. */
void          usdtpay_batch_append_event       (UsdtpayBatch        *batch,
                                                gint64               seq,
                                                UsdtpayEventType     type,
                                                gint64               at,
                                                const char          *order_id,
                                                const char * const  *audience,
                                                GBytes              *body);
/* Takes ownership of @entries. */
void          usdtpay_batch_add_transfer       (UsdtpayBatch        *batch,
                                                gint64               id,
                                                gint64               at,
                                                const char          *kind,
                                                const char          *order_id,
                                                GArray              *entries);
void          usdtpay_batch_put_principal      (UsdtpayBatch                 *batch,
                                                const UsdtpayPrincipalRecord *record);
void          usdtpay_batch_put_session        (UsdtpayBatch        *batch,
                                                const char          *hash,
                                                const char          *principal,
                                                gint64               expires_at);
void          usdtpay_batch_delete_session     (UsdtpayBatch        *batch,
                                                const char          *hash);
void          usdtpay_batch_put_api_key        (UsdtpayBatch        *batch,
                                                const char          *hash,
                                                const char          *principal,
                                                const char          *prefix,
                                                const char          *scopes,
                                                gint64               created_at,
                                                gint64               revoked_at);
void          usdtpay_batch_put_idempotency    (UsdtpayBatch        *batch,
                                                const char          *shop,
                                                const char          *key,
                                                const char          *body_hash,
                                                guint                status,
                                                GBytes              *response,
                                                gint64               created_at);
void          usdtpay_batch_put_meta           (UsdtpayBatch        *batch,
                                                const char          *key,
                                                const char          *value);

void          usdtpay_batch_put_webhook        (UsdtpayBatch                *batch,
                                                const UsdtpayWebhookRecord  *record);
void          usdtpay_batch_put_delivery       (UsdtpayBatch                *batch,
                                                const UsdtpayDeliveryRecord *record);
void          usdtpay_batch_add_attempt        (UsdtpayBatch                *batch,
                                                const UsdtpayAttemptRecord  *record);
/* Frees what @op owns (not @op itself). */
void          usdtpay_op_clear                 (UsdtpayOp           *op);
void          usdtpay_batch_put_receipt        (UsdtpayBatch        *batch,
                                                const char          *order_id,
                                                gint64               seq,
                                                const char          *key_id,
                                                const char          *text,
                                                const char          *signature);
/* A chain record (usdtpay-chain-book.c), inserted or replaced by id. */
void          usdtpay_batch_put_chain          (UsdtpayBatch        *batch,
                                                const char          *kind,
                                                const char          *id,
                                                const char          *owner,
                                                const char          *state,
                                                const char          *tx_hash,
                                                gint64               log_index,
                                                gint64               amount,
                                                const char          *data);

/* Deletes at most @limit rows of what @what names, oldest first, and
 * reports in @result (which must outlive the batch's done callback). */
void          usdtpay_batch_purge              (UsdtpayBatch        *batch,
                                                UsdtpayPurgeKind     what,
                                                gint64               before,
                                                guint                limit,
                                                UsdtpayPurgeResult  *result);

GArray       *usdtpay_entries_new              (void);
void          usdtpay_entries_add              (GArray              *entries,
                                                const char          *account,
                                                gint64               amount);

void          usdtpay_principal_record_clear   (UsdtpayPrincipalRecord *record);
void          usdtpay_chain_op_clear           (UsdtpayOp              *op);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayBatch, usdtpay_batch_free)

G_END_DECLS
