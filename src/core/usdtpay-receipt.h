/* usdtpay-receipt.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "usdtpay-order.h"

G_BEGIN_DECLS

/* Signed receipts and the platform's key set. docs/receipts.md is the
 * specification; this is its reference implementation.
 *
 * A receipt is signed as one canonical JSON text: an object with exactly
 * the members below, sorted by name, no whitespace, strings escaped as
 * usdtpay_json_append_string() does, money as exact decimal strings, times
 * as usdtpay_time_format() writes them (null when not set), integers plain.
 */
#define USDTPAY_RECEIPT_FORMAT          1
#define USDTPAY_ED25519_PUBLIC_KEY_SIZE 32
#define USDTPAY_ED25519_SECRET_KEY_SIZE 64   /* libsodium's seed || public key */
#define USDTPAY_ED25519_SEED_SIZE       32
#define USDTPAY_ED25519_SIGNATURE_SIZE  64

typedef struct
{
  char   *id;
  char   *event;           /* "order.completed" or "order.resolved" */
  char   *state;           /* "completed" or "cancelled" */
  char   *shop;
  char   *merchant;        /* nullable */
  gint64  amount;          /* micro-USDT */
  gint64  fee;
  gint64  net;
  gint64  fiat_amount;     /* minor units of fiat_currency */
  char    fiat_currency[4];
  char   *method;
  char   *customer_ref;    /* nullable */
  char   *payer_name;      /* nullable */
  gint64  created_at;      /* usdtpay-time.h microseconds; 0 is null */
  gint64  matched_at;
  gint64  paid_at;
  gint64  completed_at;
  gint64  signed_at;
  gint64  seq;             /* the completing event's seq */
  char   *key_id;
} UsdtpayReceipt;

UsdtpayReceipt *usdtpay_receipt_new_for_order  (const UsdtpayOrder   *order,
                                                const char           *event,
                                                gint64                seq,
                                                const char           *key_id,
                                                gint64                signed_at);
void            usdtpay_receipt_free           (UsdtpayReceipt       *receipt);
/* The canonical text: the bytes that are signed. */
char           *usdtpay_receipt_encode         (const UsdtpayReceipt *receipt,
                                                gsize                *length);
/* Reads a canonical text. Refused with USDTPAY_ERROR_INVALID_REQUEST: text
 * that is not strict JSON, a missing, unknown or mistyped member, a value
 * out of range, and any text that is not byte for byte the canonical
 * encoding of what it says. */
UsdtpayReceipt *usdtpay_receipt_parse          (const char           *text,
                                                gsize                 length,
                                                GError              **error);

/* Ed25519 over @length bytes of @message; the signature as lower-case hex. */
char           *usdtpay_ed25519_sign_hex       (const guint8         *secret_key,
                                                const char           *message,
                                                gsize                 length);
/* Checks a hex signature (either case refused unless 128 hex digits). */
gboolean        usdtpay_ed25519_verify_hex     (const guint8         *public_key,
                                                const char           *message,
                                                gsize                 length,
                                                const char           *signature_hex,
                                                GError              **error);
/* Lower-case hex of @length bytes, and its strict inverse (exactly
 * @length bytes of hex digits of either case). */
char           *usdtpay_receipt_hex_encode     (const guint8         *data,
                                                gsize                 length);
gboolean        usdtpay_receipt_hex_decode     (const char           *hex,
                                                guint8               *out,
                                                gsize                 length);

/* A key of the platform's key set. */
typedef struct
{
  char   *id;
  guint8  public_key[USDTPAY_ED25519_PUBLIC_KEY_SIZE];
  gint64  valid_from;
  gint64  valid_until;     /* 0: still valid */
  char   *endorsement;     /* hex signature by the previous key; NULL for the first */
} UsdtpayPlatformKey;

typedef struct
{
  GPtrArray *keys;         /* UsdtpayPlatformKey*, oldest first */
} UsdtpayKeySet;

UsdtpayKeySet      *usdtpay_key_set_new            (void);
void                usdtpay_key_set_free           (UsdtpayKeySet       *set);
UsdtpayKeySet      *usdtpay_key_set_copy           (const UsdtpayKeySet *set);
/* Parses `{"keys":[…]}` (strict JSON; unknown members are refused). It
 * does not check the chain: see usdtpay_key_set_verify(). */
UsdtpayKeySet      *usdtpay_key_set_parse          (const char          *text,
                                                    gsize                length,
                                                    GError             **error);
char               *usdtpay_key_set_to_json        (const UsdtpayKeySet *set,
                                                    gsize               *length);
const UsdtpayPlatformKey *usdtpay_key_set_lookup   (const UsdtpayKeySet *set,
                                                    const char          *id);
/* The text a key's endorsement signs (docs/receipts.md). */
char               *usdtpay_key_endorsement_text   (const UsdtpayPlatformKey *key,
                                                    gsize                    *length);
/* Appends a new key for @public_key, valid from @valid_from, endorsed by
 * @previous_secret_key (the secret of the set's last key; NULL only for the
 * first key). The previous key's valid_until becomes @valid_from. */
gboolean            usdtpay_key_set_add            (UsdtpayKeySet       *set,
                                                    const char          *id,
                                                    const guint8        *public_key,
                                                    gint64               valid_from,
                                                    const guint8        *previous_secret_key,
                                                    GError             **error);
/* The chain rules: at least one key; unique ids and public keys; the first
 * key has no endorsement and every later key carries a valid endorsement by
 * the key before it; valid_from does not decrease; a valid_until is not
 * before its key's valid_from. Refused with USDTPAY_ERROR_CORRUPT. */
gboolean            usdtpay_key_set_verify         (const UsdtpayKeySet *set,
                                                    GError             **error);
/* Whether @candidate may replace the @pinned set: @candidate verifies, and
 * it begins with every pinned key (same id, public key, valid_from and
 * endorsement; only a valid_until may have been set), so every key it adds
 * is endorsed through a pinned key. */
gboolean            usdtpay_key_set_is_successor   (const UsdtpayKeySet *pinned,
                                                    const UsdtpayKeySet *candidate,
                                                    GError             **error);

/* Verifies the signature over a receipt's canonical text under the key the
 * receipt names, which must be in @set (already verified by the caller), and
 * that the text is canonical. Returns the parsed receipt. */
UsdtpayReceipt     *usdtpay_receipt_verify         (const UsdtpayKeySet *set,
                                                    const char          *text,
                                                    gsize                length,
                                                    const char          *signature_hex,
                                                    GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayReceipt, usdtpay_receipt_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayKeySet, usdtpay_key_set_free)

G_END_DECLS
