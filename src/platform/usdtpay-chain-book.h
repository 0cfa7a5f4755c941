/* usdtpay-chain-book.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-chain.h"
#include "usdtpay-engine.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_CHAIN_BOOK (usdtpay_chain_book_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayChainBook, usdtpay_chain_book, USDTPAY, CHAIN_BOOK, GObject)

#define USDTPAY_ACCOUNT_UNATTRIBUTED        "unattributed"
#define USDTPAY_ACCOUNT_WITHDRAWALS_PENDING "withdrawals:pending"
#define USDTPAY_CHAIN_DEFAULT_CONFIRMATIONS 12

typedef struct
{
  char           *id;
  char           *tx_hash;       /* 0x, lower case */
  gint64          log_index;
  gint64          block_number;
  char           *block_hash;
  char           *sender;        /* EIP-55 */
  gint64          amount;
  char           *owner;         /* nullable: unregistered sender */
  char           *state;         /* seen, credited, dropped, unattributed, assigned, refunding, refunded */
  gint64          transfer_id;
  gint64          seen_at;
  gint64          updated_at;
  char           *reason;        /* support's, for assign and refund */
  char           *by;
} UsdtpayDeposit;

typedef struct
{
  char           *id;
  char           *owner;         /* nullable for the refund of an unattributed deposit */
  char           *to;            /* EIP-55 */
  gint64          amount;
  char           *state;         /* requested, sent, settled, failed */
  gint64          nonce;         /* -1 until signed */
  char           *tx_hash;
  char           *raw;           /* the signed transaction, hex, kept to rebroadcast */
  gint64          block_number;  /* 0 until mined */
  char           *deposit_id;    /* refunds only */
  char           *error;
  gint64          created_at;
  gint64          updated_at;
} UsdtpayWithdrawal;

/* What the watcher and the sender report for GET /v1/health. */
typedef struct
{
  gboolean  ok;
  guint     failures;       /* in a row */
  char     *error;          /* the last one; NULL when ok */
  gint64    retry_at;       /* monotonic; 0 when not waiting to retry */
  gint64    last_ok_at;     /* real time */
} UsdtpayChainTaskStatus;

UsdtpayChainBook  *usdtpay_chain_book_new              (UsdtpayEngine         *engine,
                                                        UsdtpayStoreSnapshot  *snapshot,
                                                        GError               **error);
/* Serve with a chain: refuses a database bound to another token or escrow
 * address. */
gboolean           usdtpay_chain_book_configure        (UsdtpayChainBook      *self,
                                                        const char            *rpc_url,
                                                        const UsdtpayAddress  *token,
                                                        UsdtpayKey            *hot_wallet,
                                                        guint                  confirmations,
                                                        GError               **error);
gboolean           usdtpay_chain_book_is_configured    (UsdtpayChainBook      *self);
UsdtpayKey        *usdtpay_chain_book_get_hot_wallet   (UsdtpayChainBook      *self);
const UsdtpayAddress *usdtpay_chain_book_get_token     (UsdtpayChainBook      *self);
const UsdtpayAddress *usdtpay_chain_book_get_escrow    (UsdtpayChainBook      *self);
const char        *usdtpay_chain_book_get_rpc_url      (UsdtpayChainBook      *self);
guint              usdtpay_chain_book_get_confirmations (UsdtpayChainBook     *self);
guint64            usdtpay_chain_book_get_chain_id     (UsdtpayChainBook      *self);
void               usdtpay_chain_book_set_chain_id     (UsdtpayChainBook      *self,
                                                        guint64                chain_id,
                                                        UsdtpayChange         *change);
JsonNode          *usdtpay_chain_book_info_to_json     (UsdtpayChainBook      *self);

/* Health */
UsdtpayChainTaskStatus *usdtpay_chain_book_get_watcher_status (UsdtpayChainBook *self);
UsdtpayChainTaskStatus *usdtpay_chain_book_get_sender_status  (UsdtpayChainBook *self);
void               usdtpay_chain_task_status_ok        (UsdtpayChainTaskStatus *status);
void               usdtpay_chain_task_status_failed    (UsdtpayChainTaskStatus *status,
                                                        const GError           *error,
                                                        gint64                  retry_in_usec);
void               usdtpay_chain_book_set_head         (UsdtpayChainBook      *self,
                                                        guint64                head);
/* The newest block the watcher saw; 0 before it saw one. */
guint64            usdtpay_chain_book_get_head         (UsdtpayChainBook      *self);
JsonNode          *usdtpay_chain_book_health_to_json   (UsdtpayChainBook      *self);

/* Wallets */
/* Returns the message to sign; @nonce gets the nonce. */
char              *usdtpay_chain_book_issue_nonce      (UsdtpayChainBook      *self,
                                                        UsdtpayPrincipal      *principal,
                                                        char                 **nonce,
                                                        gint64                *expires_at);
/* Returns the registered wallet as JSON; @created is FALSE when the caller
 * had registered it already. */
JsonNode          *usdtpay_chain_book_register_wallet  (UsdtpayChainBook      *self,
                                                        UsdtpayPrincipal      *principal,
                                                        JsonObject            *params,
                                                        UsdtpayChange         *change,
                                                        gboolean              *created,
                                                        GError               **error);
JsonNode          *usdtpay_chain_book_list_wallets     (UsdtpayChainBook      *self,
                                                        UsdtpayPrincipal      *principal);
/* The owner of @address (EIP-55 or any case), or NULL. */
const char        *usdtpay_chain_book_wallet_owner     (UsdtpayChainBook      *self,
                                                        const char            *address);

/* The watcher's cursor: the last block whose logs are booked, and the
 * hashes of recent processed blocks, to notice reorganisations. */
gboolean           usdtpay_chain_book_get_last_block   (UsdtpayChainBook      *self,
                                                        guint64               *number);
const char        *usdtpay_chain_book_get_block_hash   (UsdtpayChainBook      *self,
                                                        guint64                number);
/* Known block numbers, highest first. */
GArray            *usdtpay_chain_book_dup_recent_blocks (UsdtpayChainBook     *self);
void               usdtpay_chain_book_set_last_block   (UsdtpayChainBook      *self,
                                                        guint64                number,
                                                        const char            *hash,
                                                        UsdtpayChange         *change);
/* Forgets every block above @ancestor and drops the uncredited deposits in
 * them. Returns the number of deposits dropped. */
guint              usdtpay_chain_book_rewind           (UsdtpayChainBook      *self,
                                                        guint64                ancestor,
                                                        const char            *ancestor_hash,
                                                        UsdtpayChange         *change);

/* Deposits */
void               usdtpay_chain_book_deposit_seen     (UsdtpayChainBook         *self,
                                                        const UsdtpayTransferLog *log,
                                                        UsdtpayChange            *change);
/* Credits every seen deposit with enough confirmations below the cursor. */
guint              usdtpay_chain_book_credit_confirmed (UsdtpayChainBook      *self,
                                                        UsdtpayChange         *change);
guint              usdtpay_chain_book_count_pending_deposits (UsdtpayChainBook *self);
JsonNode          *usdtpay_chain_book_list_deposits    (UsdtpayChainBook      *self,
                                                        UsdtpayCaller         *caller,
                                                        const char            *state,
                                                        GError               **error);
JsonNode          *usdtpay_chain_book_assign_deposit   (UsdtpayChainBook      *self,
                                                        UsdtpayCaller         *caller,
                                                        const char            *id,
                                                        JsonObject            *params,
                                                        UsdtpayChange         *change,
                                                        GError               **error);
JsonNode          *usdtpay_chain_book_refund_deposit   (UsdtpayChainBook      *self,
                                                        UsdtpayCaller         *caller,
                                                        const char            *id,
                                                        JsonObject            *params,
                                                        UsdtpayChange         *change,
                                                        GError               **error);

/* Withdrawals */
JsonNode          *usdtpay_chain_book_request_withdrawal (UsdtpayChainBook    *self,
                                                          UsdtpayCaller       *caller,
                                                          JsonObject          *params,
                                                          UsdtpayChange       *change,
                                                          GError             **error);
JsonNode          *usdtpay_chain_book_list_withdrawals (UsdtpayChainBook      *self,
                                                        UsdtpayCaller         *caller);
/* The oldest withdrawal in @state, or NULL. */
UsdtpayWithdrawal *usdtpay_chain_book_next_withdrawal  (UsdtpayChainBook      *self,
                                                        const char            *state);
GPtrArray         *usdtpay_chain_book_dup_withdrawals_in (UsdtpayChainBook    *self,
                                                          const char          *state);
guint64            usdtpay_chain_book_get_next_nonce   (UsdtpayChainBook      *self);
void               usdtpay_chain_book_withdrawal_sent  (UsdtpayChainBook      *self,
                                                        UsdtpayWithdrawal     *withdrawal,
                                                        guint64                nonce,
                                                        const char            *tx_hash,
                                                        const char            *raw,
                                                        UsdtpayChange         *change);
void               usdtpay_chain_book_withdrawal_mined (UsdtpayChainBook      *self,
                                                        UsdtpayWithdrawal     *withdrawal,
                                                        gint64                 block_number,
                                                        UsdtpayChange         *change);
void               usdtpay_chain_book_withdrawal_settled (UsdtpayChainBook    *self,
                                                          UsdtpayWithdrawal   *withdrawal,
                                                          UsdtpayChange       *change);
void               usdtpay_chain_book_withdrawal_failed (UsdtpayChainBook     *self,
                                                         UsdtpayWithdrawal    *withdrawal,
                                                         const char           *why,
                                                         UsdtpayChange        *change);
/* A signed transaction the node refused outright: its nonce is free again. */
void               usdtpay_chain_book_release_nonce    (UsdtpayChainBook      *self,
                                                        guint64                nonce,
                                                        UsdtpayChange         *change);
/* Never below the node's count of the hot wallet's transactions. */
void               usdtpay_chain_book_sync_nonce       (UsdtpayChainBook      *self,
                                                        guint64                chain_nonce,
                                                        UsdtpayChange         *change);

G_END_DECLS
