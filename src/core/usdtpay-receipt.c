/* usdtpay-receipt.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-error.h"
#include "usdtpay-json.h"
#include "usdtpay-money.h"
#include "usdtpay-receipt.h"
#include "usdtpay-time.h"

#define ENDORSEMENT_PURPOSE "usdtpay-platform-key"
#define N_RECEIPT_MEMBERS   21

static void
ensure_sodium (void)
{
  /* Idempotent and thread-safe; fails only when the system has no entropy
   * source, which nothing here could survive. */
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
}

/* Hex */

char *
usdtpay_receipt_hex_encode (const guint8 *data,
                            gsize         length)
{
  static const char digits[] = "0123456789abcdef";
  char *out = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0xf];
    }
  out[length * 2] = '\0';

  return out;
}

gboolean
usdtpay_receipt_hex_decode (const char *hex,
                            guint8     *out,
                            gsize       length)
{
  if (hex == NULL || strlen (hex) != length * 2)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8)(hi << 4 | lo);
    }

  return TRUE;
}

/* Ed25519 */

char *
usdtpay_ed25519_sign_hex (const guint8 *secret_key,
                          const char   *message,
                          gsize         length)
{
  guint8 signature[crypto_sign_BYTES];

  g_return_val_if_fail (secret_key != NULL, NULL);
  g_return_val_if_fail (message != NULL || length == 0, NULL);

  ensure_sodium ();
  crypto_sign_detached (signature, NULL, (const guint8 *)message, length, secret_key);

  return usdtpay_receipt_hex_encode (signature, sizeof signature);
}

gboolean
usdtpay_ed25519_verify_hex (const guint8 *public_key,
                            const char   *message,
                            gsize         length,
                            const char   *signature_hex,
                            GError      **error)
{
  guint8 signature[crypto_sign_BYTES];

  g_return_val_if_fail (public_key != NULL, FALSE);

  ensure_sodium ();
  if (!usdtpay_receipt_hex_decode (signature_hex, signature, sizeof signature))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "a signature is %d hex digits", (int)sizeof signature * 2);
      return FALSE;
    }
  if (crypto_sign_verify_detached (signature, (const guint8 *)message, length, public_key) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "the signature does not verify");
      return FALSE;
    }

  return TRUE;
}

/* Receipts */

static const char *
order_event_state (const UsdtpayOrder *order)
{
  return usdtpay_order_state_to_string (order->state);
}

UsdtpayReceipt *
usdtpay_receipt_new_for_order (const UsdtpayOrder *order,
                               const char         *event,
                               gint64              seq,
                               const char         *key_id,
                               gint64              signed_at)
{
  UsdtpayReceipt *receipt;

  g_return_val_if_fail (order != NULL, NULL);
  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (key_id != NULL, NULL);

  receipt = g_new0 (UsdtpayReceipt, 1);
  receipt->id = g_strdup (order->id);
  receipt->event = g_strdup (event);
  receipt->state = g_strdup (order_event_state (order));
  receipt->shop = g_strdup (order->shop);
  receipt->merchant = g_strdup (order->merchant);
  receipt->amount = order->amount;
  receipt->fee = order->fee;
  receipt->net = order->net;
  receipt->fiat_amount = order->fiat_amount;
  memcpy (receipt->fiat_currency, order->fiat_currency, sizeof receipt->fiat_currency);
  receipt->fiat_currency[3] = '\0';
  receipt->method = g_strdup (order->method);
  receipt->customer_ref = g_strdup (order->customer_ref);
  receipt->payer_name = g_strdup (order->payer_name);
  receipt->created_at = order->created_at;
  receipt->matched_at = order->matched_at;
  receipt->paid_at = order->paid_at;
  receipt->completed_at = order->completed_at;
  receipt->signed_at = signed_at;
  receipt->seq = seq;
  receipt->key_id = g_strdup (key_id);

  return receipt;
}

void
usdtpay_receipt_free (UsdtpayReceipt *receipt)
{
  if (receipt == NULL)
    return;

  g_free (receipt->id);
  g_free (receipt->event);
  g_free (receipt->state);
  g_free (receipt->shop);
  g_free (receipt->merchant);
  g_free (receipt->method);
  g_free (receipt->customer_ref);
  g_free (receipt->payer_name);
  g_free (receipt->key_id);
  g_free (receipt);
}

static void
append_name (GString    *out,
             const char *name)
{
  if (out->len > 1)
    g_string_append_c (out, ',');
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append (out, "\":");
}

static void
append_time (GString    *out,
             const char *name,
             gint64      usec)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  append_name (out, name);
  if (usec == 0)
    g_string_append (out, "null");
  else
    {
      g_string_append_c (out, '"');
      g_string_append (out, usdtpay_time_format_buf (usec, buf));
      g_string_append_c (out, '"');
    }
}

static void
append_money (GString    *out,
              const char *name,
              gint64      amount,
              guint       decimals)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  append_name (out, name);
  g_string_append_c (out, '"');
  g_string_append (out, usdtpay_money_format_buf (amount, decimals, buf));
  g_string_append_c (out, '"');
}

static void
append_text (GString    *out,
             const char *name,
             const char *value)
{
  append_name (out, name);
  usdtpay_json_append_string (out, value, -1);
}

char *
usdtpay_receipt_encode (const UsdtpayReceipt *receipt,
                        gsize                *length)
{
  const UsdtpayCurrency *currency;
  GString *out;

  g_return_val_if_fail (receipt != NULL, NULL);

  currency = usdtpay_currency_lookup (receipt->fiat_currency);
  g_return_val_if_fail (currency != NULL, NULL);

  out = g_string_sized_new (640);
  g_string_append_c (out, '{');

  /* Members sorted by name (byte order), as docs/receipts.md lists them. */
  append_money (out, "amount", receipt->amount, USDTPAY_USDT_DECIMALS);
  append_time (out, "completed_at", receipt->completed_at);
  append_time (out, "created_at", receipt->created_at);
  append_text (out, "customer_ref", receipt->customer_ref);
  append_text (out, "event", receipt->event);
  append_money (out, "fee", receipt->fee, USDTPAY_USDT_DECIMALS);
  append_money (out, "fiat_amount", receipt->fiat_amount, currency->decimals);
  append_text (out, "fiat_currency", receipt->fiat_currency);
  append_name (out, "format");
  g_string_append_printf (out, "%d", USDTPAY_RECEIPT_FORMAT);
  append_text (out, "id", receipt->id);
  append_text (out, "key_id", receipt->key_id);
  append_time (out, "matched_at", receipt->matched_at);
  append_text (out, "merchant", receipt->merchant);
  append_text (out, "method", receipt->method);
  append_money (out, "net", receipt->net, USDTPAY_USDT_DECIMALS);
  append_time (out, "paid_at", receipt->paid_at);
  append_text (out, "payer_name", receipt->payer_name);
  append_name (out, "seq");
  g_string_append_printf (out, "%" G_GINT64_FORMAT, receipt->seq);
  append_text (out, "shop", receipt->shop);
  append_time (out, "signed_at", receipt->signed_at);
  append_text (out, "state", receipt->state);
  g_string_append_c (out, '}');

  if (length != NULL)
    *length = out->len;

  return g_string_free (out, FALSE);
}

static gboolean
invalid (GError    **error,
         const char *member,
         const char *what)
{
  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
               "receipt member \"%s\" %s", member, what);
  return FALSE;
}

/* A string member; NULL stays NULL when @nullable. */
static gboolean
read_text (JsonObject  *object,
           const char  *member,
           gboolean     nullable,
           char       **out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return invalid (error, member, "is missing");
  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (!nullable)
        return invalid (error, member, "may not be null");
      *out = NULL;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, member, "is not a string");

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_time (JsonObject *object,
           const char *member,
           gboolean    nullable,
           gint64     *out,
           GError    **error)
{
  g_autofree char *text = NULL;

  if (!read_text (object, member, nullable, &text, error))
    return FALSE;
  if (text == NULL)
    {
      *out = 0;
      return TRUE;
    }
  if (!usdtpay_time_parse (text, out, NULL) || *out == 0)
    return invalid (error, member, "is not an RFC 3339 time");

  return TRUE;
}

static gboolean
read_money (JsonObject *object,
            const char *member,
            guint       decimals,
            gint64     *out,
            GError    **error)
{
  g_autofree char *text = NULL;

  if (!read_text (object, member, FALSE, &text, error))
    return FALSE;
  if (!usdtpay_money_parse (text, decimals, USDTPAY_MONEY_UNSIGNED, out, NULL))
    return invalid (error, member, "is not a decimal amount");

  return TRUE;
}

static gboolean
read_int (JsonObject *object,
          const char *member,
          gint64     *out,
          GError    **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return invalid (error, member, "is missing");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, member, "is not an integer");

  *out = json_node_get_int (node);
  return TRUE;
}

UsdtpayReceipt *
usdtpay_receipt_parse (const char  *text,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(UsdtpayReceipt) receipt = NULL;
  g_autofree char *currency = NULL;
  g_autofree char *again = NULL;
  const UsdtpayCurrency *info;
  GError *local_error = NULL;
  gsize again_length = 0;
  gint64 format = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (!(object = usdtpay_json_parse_object (text, length, &local_error)))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "a receipt is not valid JSON: %s", local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  if (json_object_get_size (object) != N_RECEIPT_MEMBERS)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "a receipt has exactly %d members, this one %u",
                   N_RECEIPT_MEMBERS, json_object_get_size (object));
      return NULL;
    }

  receipt = g_new0 (UsdtpayReceipt, 1);
  if (!read_int (object, "format", &format, error))
    return NULL;
  if (format != USDTPAY_RECEIPT_FORMAT)
    {
      invalid (error, "format", "is not a known receipt format");
      return NULL;
    }
  if (!read_text (object, "fiat_currency", FALSE, &currency, error))
    return NULL;
  if ((info = usdtpay_currency_lookup (currency)) == NULL)
    {
      invalid (error, "fiat_currency", "is not a known ISO 4217 code");
      return NULL;
    }
  memcpy (receipt->fiat_currency, info->code, 4);

  if (!read_text (object, "id", FALSE, &receipt->id, error) ||
      !read_text (object, "event", FALSE, &receipt->event, error) ||
      !read_text (object, "state", FALSE, &receipt->state, error) ||
      !read_text (object, "shop", FALSE, &receipt->shop, error) ||
      !read_text (object, "merchant", TRUE, &receipt->merchant, error) ||
      !read_text (object, "method", FALSE, &receipt->method, error) ||
      !read_text (object, "customer_ref", TRUE, &receipt->customer_ref, error) ||
      !read_text (object, "payer_name", TRUE, &receipt->payer_name, error) ||
      !read_text (object, "key_id", FALSE, &receipt->key_id, error) ||
      !read_money (object, "amount", USDTPAY_USDT_DECIMALS, &receipt->amount, error) ||
      !read_money (object, "fee", USDTPAY_USDT_DECIMALS, &receipt->fee, error) ||
      !read_money (object, "net", USDTPAY_USDT_DECIMALS, &receipt->net, error) ||
      !read_money (object, "fiat_amount", info->decimals, &receipt->fiat_amount, error) ||
      !read_time (object, "created_at", FALSE, &receipt->created_at, error) ||
      !read_time (object, "matched_at", TRUE, &receipt->matched_at, error) ||
      !read_time (object, "paid_at", TRUE, &receipt->paid_at, error) ||
      !read_time (object, "completed_at", TRUE, &receipt->completed_at, error) ||
      !read_time (object, "signed_at", FALSE, &receipt->signed_at, error) ||
      !read_int (object, "seq", &receipt->seq, error))
    return NULL;

  if (receipt->seq <= 0)
    {
      invalid (error, "seq", "is not positive");
      return NULL;
    }
  if (receipt->net != receipt->amount - receipt->fee || receipt->fee > receipt->amount)
    {
      invalid (error, "net", "is not amount - fee");
      return NULL;
    }

  /* Every member was read exactly; the text must be what we would write. */
  again = usdtpay_receipt_encode (receipt, &again_length);
  if (again_length != length || memcmp (again, text, length) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "the receipt text is not in canonical form (docs/receipts.md)");
      return NULL;
    }

  return g_steal_pointer (&receipt);
}

/* Key sets */

static void
platform_key_free (gpointer data)
{
  UsdtpayPlatformKey *key = data;

  g_free (key->id);
  g_free (key->endorsement);
  g_free (key);
}

UsdtpayKeySet *
usdtpay_key_set_new (void)
{
  UsdtpayKeySet *set = g_new0 (UsdtpayKeySet, 1);

  set->keys = g_ptr_array_new_with_free_func (platform_key_free);

  return set;
}

void
usdtpay_key_set_free (UsdtpayKeySet *set)
{
  if (set == NULL)
    return;

  g_ptr_array_unref (set->keys);
  g_free (set);
}

UsdtpayKeySet *
usdtpay_key_set_copy (const UsdtpayKeySet *set)
{
  UsdtpayKeySet *copy;

  g_return_val_if_fail (set != NULL, NULL);

  copy = usdtpay_key_set_new ();
  for (guint i = 0; i < set->keys->len; i++)
    {
      const UsdtpayPlatformKey *key = g_ptr_array_index (set->keys, i);
      UsdtpayPlatformKey *dup = g_new0 (UsdtpayPlatformKey, 1);

      *dup = *key;
      dup->id = g_strdup (key->id);
      dup->endorsement = g_strdup (key->endorsement);
      g_ptr_array_add (copy->keys, dup);
    }

  return copy;
}

static gboolean
key_invalid (GError    **error,
             guint       index,
             const char *what)
{
  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
               "key set: key %u %s", index, what);
  return FALSE;
}

static gboolean
parse_key (JsonNode            *node,
           guint                index,
           UsdtpayPlatformKey  *key,
           GError             **error)
{
  static const char * const members[] = { "id", "public_key", "valid_from", "valid_until", "endorsement" };
  g_autofree char *public_hex = NULL;
  JsonObject *object;
  GError *local_error = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return key_invalid (error, index, "is not an object");
  object = json_node_get_object (node);
  if (json_object_get_size (object) != G_N_ELEMENTS (members))
    return key_invalid (error, index, "does not have exactly id, public_key, valid_from, valid_until, endorsement");
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (!json_object_has_member (object, members[i]))
      return key_invalid (error, index, "does not have exactly id, public_key, valid_from, valid_until, endorsement");

  if (!read_text (object, "id", FALSE, &key->id, &local_error) ||
      !read_text (object, "public_key", FALSE, &public_hex, &local_error) ||
      !read_time (object, "valid_from", FALSE, &key->valid_from, &local_error) ||
      !read_time (object, "valid_until", TRUE, &key->valid_until, &local_error) ||
      !read_text (object, "endorsement", TRUE, &key->endorsement, &local_error))
    {
      key_invalid (error, index, local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  if (key->id[0] == '\0')
    return key_invalid (error, index, "has an empty id");
  if (!usdtpay_receipt_hex_decode (public_hex, key->public_key, sizeof key->public_key))
    return key_invalid (error, index, "has a public_key that is not 64 hex digits");

  return TRUE;
}

UsdtpayKeySet *
usdtpay_key_set_parse (const char  *text,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(UsdtpayKeySet) set = NULL;
  JsonNode *keys;
  JsonArray *array;

  if (!(object = usdtpay_json_parse_object (text, length, error)))
    return NULL;

  keys = json_object_get_member (object, "keys");
  if (keys == NULL || !JSON_NODE_HOLDS_ARRAY (keys))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "a key set is {\"keys\":[…]}");
      return NULL;
    }

  set = usdtpay_key_set_new ();
  array = json_node_get_array (keys);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      UsdtpayPlatformKey *key = g_new0 (UsdtpayPlatformKey, 1);

      g_ptr_array_add (set->keys, key);
      if (!parse_key (json_array_get_element (array, i), i, key, error))
        return NULL;
    }

  return g_steal_pointer (&set);
}

char *
usdtpay_key_set_to_json (const UsdtpayKeySet *set,
                         gsize               *length)
{
  GString *out = g_string_new ("{\"keys\":[");

  g_return_val_if_fail (set != NULL, NULL);

  for (guint i = 0; i < set->keys->len; i++)
    {
      const UsdtpayPlatformKey *key = g_ptr_array_index (set->keys, i);
      g_autofree char *public_hex = usdtpay_receipt_hex_encode (key->public_key, sizeof key->public_key);
      GString *member = g_string_new ("{");

      append_text (member, "id", key->id);
      append_text (member, "public_key", public_hex);
      append_time (member, "valid_from", key->valid_from);
      append_time (member, "valid_until", key->valid_until);
      append_text (member, "endorsement", key->endorsement);
      g_string_append_c (member, '}');

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_len (out, member->str, member->len);
      g_string_free (member, TRUE);
    }
  g_string_append (out, "]}");

  if (length != NULL)
    *length = out->len;

  return g_string_free (out, FALSE);
}

const UsdtpayPlatformKey *
usdtpay_key_set_lookup (const UsdtpayKeySet *set,
                        const char          *id)
{
  g_return_val_if_fail (set != NULL, NULL);

  for (guint i = 0; i < set->keys->len; i++)
    {
      const UsdtpayPlatformKey *key = g_ptr_array_index (set->keys, i);

      if (g_strcmp0 (key->id, id) == 0)
        return key;
    }

  return NULL;
}

char *
usdtpay_key_endorsement_text (const UsdtpayPlatformKey *key,
                              gsize                    *length)
{
  g_autofree char *public_hex = NULL;
  GString *out;

  g_return_val_if_fail (key != NULL, NULL);

  public_hex = usdtpay_receipt_hex_encode (key->public_key, sizeof key->public_key);
  out = g_string_new ("{");
  append_text (out, "id", key->id);
  append_text (out, "public_key", public_hex);
  append_text (out, "purpose", ENDORSEMENT_PURPOSE);
  append_time (out, "valid_from", key->valid_from);
  g_string_append_c (out, '}');

  if (length != NULL)
    *length = out->len;

  return g_string_free (out, FALSE);
}

gboolean
usdtpay_key_set_add (UsdtpayKeySet *set,
                     const char    *id,
                     const guint8  *public_key,
                     gint64         valid_from,
                     const guint8  *previous_secret_key,
                     GError       **error)
{
  UsdtpayPlatformKey *key;
  UsdtpayPlatformKey *last = NULL;

  g_return_val_if_fail (set != NULL, FALSE);
  g_return_val_if_fail (id != NULL && public_key != NULL, FALSE);

  if (set->keys->len > 0)
    last = g_ptr_array_index (set->keys, set->keys->len - 1);

  if ((last == NULL) != (previous_secret_key == NULL))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   last == NULL ? "the first key has no endorsement"
                                : "a new key must be endorsed by the last key");
      return FALSE;
    }
  if (last != NULL &&
      memcmp (previous_secret_key + USDTPAY_ED25519_SEED_SIZE, last->public_key, sizeof last->public_key) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "the endorsing secret key is not the last key's");
      return FALSE;
    }
  if (usdtpay_key_set_lookup (set, id) != NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT, "the key set already has a key %s", id);
      return FALSE;
    }
  if (last != NULL && valid_from < last->valid_from)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "a new key cannot be valid before the last one");
      return FALSE;
    }

  key = g_new0 (UsdtpayPlatformKey, 1);
  key->id = g_strdup (id);
  memcpy (key->public_key, public_key, sizeof key->public_key);
  key->valid_from = valid_from;
  if (last != NULL)
    {
      g_autofree char *text = NULL;
      gsize length = 0;

      text = usdtpay_key_endorsement_text (key, &length);
      key->endorsement = usdtpay_ed25519_sign_hex (previous_secret_key, text, length);
      last->valid_until = valid_from;
    }
  g_ptr_array_add (set->keys, key);

  return TRUE;
}

static gboolean
chain_error (GError    **error,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
chain_error (GError    **error,
             const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "key set: %s", message);
  return FALSE;
}

gboolean
usdtpay_key_set_verify (const UsdtpayKeySet *set,
                        GError             **error)
{
  g_return_val_if_fail (set != NULL, FALSE);

  if (set->keys->len == 0)
    return chain_error (error, "it has no keys");

  for (guint i = 0; i < set->keys->len; i++)
    {
      const UsdtpayPlatformKey *key = g_ptr_array_index (set->keys, i);

      if (key->valid_until != 0 && key->valid_until < key->valid_from)
        return chain_error (error, "key %s is valid until before it is valid from", key->id);

      for (guint j = 0; j < i; j++)
        {
          const UsdtpayPlatformKey *other = g_ptr_array_index (set->keys, j);

          if (g_str_equal (other->id, key->id))
            return chain_error (error, "key id %s appears twice", key->id);
          if (memcmp (other->public_key, key->public_key, sizeof key->public_key) == 0)
            return chain_error (error, "keys %s and %s are the same key", other->id, key->id);
        }

      if (i == 0)
        {
          if (key->endorsement != NULL)
            return chain_error (error, "the first key %s carries an endorsement", key->id);
        }
      else
        {
          const UsdtpayPlatformKey *previous = g_ptr_array_index (set->keys, i - 1);
          g_autofree char *text = NULL;
          gsize length = 0;

          if (key->valid_from < previous->valid_from)
            return chain_error (error, "key %s is valid from before key %s", key->id, previous->id);
          if (key->endorsement == NULL)
            return chain_error (error, "key %s is not endorsed", key->id);

          text = usdtpay_key_endorsement_text (key, &length);
          if (!usdtpay_ed25519_verify_hex (previous->public_key, text, length, key->endorsement, NULL))
            return chain_error (error, "key %s is not endorsed by key %s", key->id, previous->id);
        }
    }

  return TRUE;
}

gboolean
usdtpay_key_set_is_successor (const UsdtpayKeySet *pinned,
                              const UsdtpayKeySet *candidate,
                              GError             **error)
{
  g_return_val_if_fail (pinned != NULL && candidate != NULL, FALSE);

  if (!usdtpay_key_set_verify (candidate, error))
    return FALSE;
  if (candidate->keys->len < pinned->keys->len)
    return chain_error (error, "it has fewer keys than the pinned set");

  for (guint i = 0; i < pinned->keys->len; i++)
    {
      const UsdtpayPlatformKey *old = g_ptr_array_index (pinned->keys, i);
      const UsdtpayPlatformKey *key = g_ptr_array_index (candidate->keys, i);

      if (!g_str_equal (old->id, key->id) ||
          memcmp (old->public_key, key->public_key, sizeof key->public_key) != 0 ||
          old->valid_from != key->valid_from ||
          g_strcmp0 (old->endorsement, key->endorsement) != 0)
        return chain_error (error, "key %u (%s) differs from the pinned key %s", i, key->id, old->id);
      /* A pinned key may be retired, never un-retired or moved. */
      if (old->valid_until != 0 && old->valid_until != key->valid_until)
        return chain_error (error, "the pinned key %s had its validity changed", old->id);
    }

  return TRUE;
}

UsdtpayReceipt *
usdtpay_receipt_verify (const UsdtpayKeySet *set,
                        const char          *text,
                        gsize                length,
                        const char          *signature_hex,
                        GError             **error)
{
  g_autoptr(UsdtpayReceipt) receipt = NULL;
  const UsdtpayPlatformKey *key;

  g_return_val_if_fail (set != NULL, NULL);

  if (!(receipt = usdtpay_receipt_parse (text, length, error)))
    return NULL;
  if ((key = usdtpay_key_set_lookup (set, receipt->key_id)) == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "the receipt names key %s, which is not in the key set", receipt->key_id);
      return NULL;
    }
  if (!usdtpay_ed25519_verify_hex (key->public_key, text, length, signature_hex, error))
    return NULL;

  return g_steal_pointer (&receipt);
}
