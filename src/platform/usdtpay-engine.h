/* usdtpay-engine.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-receipts.h"
#include "usdtpay-store.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_ENGINE (usdtpay_engine_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayEngine, usdtpay_engine, USDTPAY, ENGINE, GObject)

typedef struct _UsdtpayWebhooks UsdtpayWebhooks;

/* Scopes of a shop's API key. */
typedef enum
{
  USDTPAY_SCOPE_ORDERS_WRITE     = 1 << 0,
  USDTPAY_SCOPE_ORDERS_READ      = 1 << 1,
  USDTPAY_SCOPE_WEBHOOKS         = 1 << 2,
  USDTPAY_SCOPE_BALANCE_WITHDRAW = 1 << 3,
  USDTPAY_SCOPE_ALL              = 0xf,
} UsdtpayScope;

typedef struct
{
  char    *id;
  char    *account_name;
  char    *account_number;
  char    *qr;              /* nullable */
} UsdtpayMethod;

/* A principal as the engine holds it. Read-only outside the engine. */
typedef struct
{
  char        *name;
  UsdtpayRole  role;
  char        *password_hash;
  gboolean     suspended;
  gint64       last_matched_at;
  gint64       created_at;

  /* Merchants */
  gboolean     online;
  gboolean     auto_match;
  gint64       min;
  gint64       max;
  guint        cap;
  GPtrArray   *methods;           /* UsdtpayMethod* */
  guint        n_connections;
  gint64       disconnected_at;   /* engine clock; 0 while connected */
  guint        n_open;
  char        *available_account;
  char        *frozen_account;
} UsdtpayPrincipal;

/* Who is calling, once authenticated. */
typedef struct
{
  UsdtpayPrincipal *principal;    /* NULL for a customer */
  UsdtpayRole       role;
  guint             scopes;       /* shops only */
  char             *session_hash; /* sessions only */
  char             *order_id;     /* customers only: the one order they hold */
} UsdtpayCaller;

void usdtpay_caller_clear (UsdtpayCaller *caller);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UsdtpayCaller, usdtpay_caller_clear)

typedef struct
{
  guint  offer_seconds;
  guint  payment_minutes;
  guint  confirm_minutes;
  guint  fee_bps;
  gint64 session_seconds;
} UsdtpayEngineConfig;

/* What one request changed: the batch for the store and the events to
 * publish once it is durable. */
typedef struct _UsdtpayChange UsdtpayChange;

UsdtpayChange *usdtpay_change_new          (void);
void           usdtpay_change_free         (UsdtpayChange *change);
gboolean       usdtpay_change_is_empty     (UsdtpayChange *change);
void           usdtpay_change_put_idempotency (UsdtpayChange *change,
                                               const char    *shop,
                                               const char    *key,
                                               const char    *body_hash,
                                               guint          status,
                                               GBytes        *response,
                                               gint64         created_at);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayChange, usdtpay_change_free)

/* A committed event, as handed to the feed. */
typedef struct
{
  gint64             seq;
  UsdtpayEventType   type;
  char             **audience;
  GBytes            *body;
} UsdtpayCommittedEvent;

typedef void (*UsdtpayCommitFunc) (const GError *error,
                                   gpointer      user_data);

UsdtpayEngine    *usdtpay_engine_new               (UsdtpayStore              *store,
                                                    const UsdtpayEngineConfig *config,
                                                    GError                   **error);
UsdtpayStore     *usdtpay_engine_get_store         (UsdtpayEngine     *self);
UsdtpayWebhooks  *usdtpay_engine_get_webhooks      (UsdtpayEngine     *self);
gboolean          usdtpay_engine_is_dev            (UsdtpayEngine     *self);
gint64            usdtpay_engine_now               (UsdtpayEngine     *self);
gint64            usdtpay_engine_get_head_seq      (UsdtpayEngine     *self);
gint64            usdtpay_engine_get_durable_seq   (UsdtpayEngine     *self);
void              usdtpay_engine_set_base_url      (UsdtpayEngine     *self,
                                                    const char        *base_url);

/* Hands @change to the store; once durable, emits ::event-committed for its
 * events in seq order, then calls @func. Takes ownership of @change. */
void              usdtpay_engine_commit            (UsdtpayEngine     *self,
                                                    UsdtpayChange     *change,
                                                    UsdtpayCommitFunc  func,
                                                    gpointer           user_data);

/* The idempotency answers younger than 24 h that were loaded at start, as
 * UsdtpayOp* of kind IDEMPOTENCY_PUT; the caller takes them (once). */
GPtrArray        *usdtpay_engine_take_loaded_idempotency (UsdtpayEngine *self);

/* Authentication */
gboolean          usdtpay_engine_authenticate      (UsdtpayEngine     *self,
                                                    const char        *token,
                                                    UsdtpayCaller     *caller,
                                                    GError           **error);
gboolean          usdtpay_engine_authenticate_customer (UsdtpayEngine *self,
                                                        const char    *order_id,
                                                        const char    *token,
                                                        UsdtpayCaller *caller);
UsdtpayPrincipal *usdtpay_engine_lookup_principal  (UsdtpayEngine     *self,
                                                    const char        *name);
/* Returns the new session token. */
char             *usdtpay_engine_create_session    (UsdtpayEngine     *self,
                                                    UsdtpayPrincipal  *principal,
                                                    UsdtpayChange     *change);
void              usdtpay_engine_delete_session    (UsdtpayEngine     *self,
                                                    const char        *session_hash,
                                                    UsdtpayChange     *change);

/* Orders. Each fills @change and returns the order (a borrowed pointer), or
 * NULL with @error set and nothing changed. @noop is set when the order was
 * already in the action's target state. */
UsdtpayOrder     *usdtpay_engine_create_order      (UsdtpayEngine     *self,
                                                    UsdtpayCaller     *caller,
                                                    JsonObject        *params,
                                                    UsdtpayChange     *change,
                                                    GError           **error);
UsdtpayOrder     *usdtpay_engine_order_action      (UsdtpayEngine      *self,
                                                    UsdtpayCaller      *caller,
                                                    const char         *order_id,
                                                    UsdtpayOrderAction  action,
                                                    JsonObject         *params,
                                                    UsdtpayChange      *change,
                                                    gboolean           *noop,
                                                    GError            **error);
UsdtpayOrder     *usdtpay_engine_get_order         (UsdtpayEngine     *self,
                                                    UsdtpayCaller     *caller,
                                                    const char        *order_id,
                                                    GError           **error);
/* Orders visible to @caller, newest first, after the opaque @cursor. */
GPtrArray        *usdtpay_engine_list_orders       (UsdtpayEngine     *self,
                                                    UsdtpayCaller     *caller,
                                                    gboolean           have_state,
                                                    UsdtpayOrderState  state,
                                                    const char        *cursor,
                                                    guint              limit,
                                                    char             **next_cursor,
                                                    GError           **error);
/* Narrows a listing: orders of @merchant (NULL: any) created at or after
 * @from and before @to (0: unbounded). */
typedef struct
{
  const char *merchant;
  gint64      from;
  gint64      to;
} UsdtpayOrderFilter;

GPtrArray        *usdtpay_engine_list_orders_filtered (UsdtpayEngine            *self,
                                                       UsdtpayCaller            *caller,
                                                       gboolean                  have_state,
                                                       UsdtpayOrderState         state,
                                                       const UsdtpayOrderFilter *filter,
                                                       const char               *cursor,
                                                       guint                     limit,
                                                       char                    **next_cursor,
                                                       GError                  **error);
char             *usdtpay_engine_pay_url           (UsdtpayEngine     *self,
                                                    const UsdtpayOrder *order);
/* Appends @order as usdtpay_order_append_json() without pay_url would,
 * from the rendering the engine keeps for an order's current version. */
void              usdtpay_engine_append_order      (UsdtpayEngine     *self,
                                                    const UsdtpayOrder *order,
                                                    GString           *out);
const UsdtpayMethod *usdtpay_engine_order_method   (UsdtpayEngine      *self,
                                                    const UsdtpayOrder *order);
gboolean          usdtpay_engine_find_external_id  (UsdtpayEngine     *self,
                                                    const char        *shop,
                                                    const char        *external_id);

/* Merchants */
JsonNode         *usdtpay_engine_merchant_to_json  (UsdtpayEngine     *self,
                                                    UsdtpayPrincipal  *merchant);
gboolean          usdtpay_engine_update_merchant   (UsdtpayEngine     *self,
                                                    UsdtpayPrincipal  *merchant,
                                                    JsonObject        *params,
                                                    UsdtpayChange     *change,
                                                    GError           **error);
gboolean          usdtpay_engine_set_suspended     (UsdtpayEngine     *self,
                                                    UsdtpayCaller     *caller,
                                                    const char        *merchant,
                                                    gboolean           suspended,
                                                    const char        *reason,
                                                    UsdtpayChange     *change,
                                                    GError           **error);
GPtrArray        *usdtpay_engine_list_merchants    (UsdtpayEngine     *self);
void              usdtpay_engine_merchant_connected    (UsdtpayEngine    *self,
                                                        UsdtpayPrincipal *merchant,
                                                        UsdtpayChange    *change);
void              usdtpay_engine_merchant_disconnected (UsdtpayEngine    *self,
                                                        UsdtpayPrincipal *merchant);

/* Ledger */
gint64            usdtpay_engine_balance           (UsdtpayEngine     *self,
                                                    const char        *account);
JsonNode         *usdtpay_engine_balances_to_json  (UsdtpayEngine     *self,
                                                    UsdtpayCaller     *caller);

/* Deadlines: expires orders, disputes unconfirmed ones and turns silent
 * merchants offline, as of the engine clock. */
void              usdtpay_engine_tick              (UsdtpayEngine     *self,
                                                    UsdtpayChange     *change);
/* Dev databases only. */
gboolean          usdtpay_engine_advance_clock     (UsdtpayEngine     *self,
                                                    gint64             seconds,
                                                    UsdtpayChange     *change,
                                                    GError           **error);

/* Operator commands */
gboolean          usdtpay_engine_add_principal     (UsdtpayEngine     *self,
                                                    const char        *name,
                                                    UsdtpayRole        role,
                                                    const char        *password_hash,
                                                    UsdtpayChange     *change,
                                                    GError           **error);
/* Returns the new key, shown once. */
char             *usdtpay_engine_add_api_key       (UsdtpayEngine     *self,
                                                    const char        *shop,
                                                    guint              scopes,
                                                    UsdtpayChange     *change,
                                                    GError           **error);
gboolean          usdtpay_engine_revoke_api_key    (UsdtpayEngine     *self,
                                                    const char        *shop,
                                                    const char        *prefix,
                                                    UsdtpayChange     *change,
                                                    GError           **error);
GPtrArray        *usdtpay_engine_list_api_keys     (UsdtpayEngine     *self,
                                                    const char        *shop);
gboolean          usdtpay_engine_credit            (UsdtpayEngine     *self,
                                                    const char        *merchant,
                                                    gint64             amount,
                                                    UsdtpayChange     *change,
                                                    GError           **error);

/* Receipts: once set, the engine signs a receipt into the batch of every
 * completion and support resolution. */
void              usdtpay_engine_set_receipts      (UsdtpayEngine     *self,
                                                    UsdtpayReceipts   *receipts);
UsdtpayReceipts  *usdtpay_engine_get_receipts      (UsdtpayEngine     *self);
/* The chain's records and the primitives it changes the ledger with. */
typedef struct _UsdtpayChainBook UsdtpayChainBook;

UsdtpayChainBook *usdtpay_engine_get_chain_book    (UsdtpayEngine     *self);
UsdtpayBatch     *usdtpay_change_get_batch         (UsdtpayChange     *change);
/* Moves @amount from @from to @to as one transfer of @kind; returns its id,
 * or 0 with @error set and nothing changed. */
gint64            usdtpay_engine_move              (UsdtpayEngine     *self,
                                                    UsdtpayChange     *change,
                                                    const char        *kind,
                                                    const char        *from,
                                                    const char        *to,
                                                    gint64             amount,
                                                    GError           **error);
void              usdtpay_engine_emit              (UsdtpayEngine      *self,
                                                    UsdtpayChange      *change,
                                                    UsdtpayEventType    type,
                                                    JsonNode           *object,
                                                    const char * const *audience);

guint             usdtpay_scopes_parse             (const char        *text);
char             *usdtpay_scopes_to_string         (guint              scopes);

/* Retention: forgets the sessions that expired before @before. */
void              usdtpay_engine_forget_expired_sessions (UsdtpayEngine *self,
                                                          gint64         before);

G_END_DECLS
