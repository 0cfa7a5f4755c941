/* usdtpay-engine.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-engine"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <sodium.h>

#include "usdtpay-chain-book.h"
#include "usdtpay-engine.h"
#include "usdtpay-webhooks.h"

/* The engine holds the platform's state in memory and changes it on the main
 * thread only, so every decision (who wins an offer, whether escrow covers an
 * order) is atomic without locks. Each change is also written down as a
 * batch for the store; callers answer once that batch is durable.
 */

#define ACCOUNT_CHAIN      "chain"
#define ACCOUNT_FEES       "platform:fees"
#define OFFLINE_GRACE_USEC (30 * G_USEC_PER_SEC)
#define LATE_APPEAL_USEC   (G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC)
#define MAX_TEXT           255

typedef struct
{
  UsdtpayOrder *order;
  gint64        held;      /* escrow frozen for this order */
  GPtrArray    *offered;   /* names of the merchants it was offered to */
  guint         index;     /* position in creation order */
  GBytes       *json;      /* the order as text, for this version; see engine_order_json() */
} EngineOrder;

typedef struct
{
  char   *hash;
  char   *principal;
  char   *prefix;
  guint   scopes;
  gint64  created_at;
  gint64  revoked_at;
} ApiKey;

typedef struct
{
  char   *principal;
  gint64  expires_at;
} Session;

struct _UsdtpayChange
{
  UsdtpayBatch *batch;
  GPtrArray    *events;    /* UsdtpayCommittedEvent* */
};

struct _UsdtpayEngine
{
  GObject              parent_instance;

  UsdtpayStore        *store;
  UsdtpayEngineConfig  config;
  gboolean             dev;
  guint8               secret[crypto_auth_hmacsha256_KEYBYTES];
  gint64               clock_offset;
  char                *base_url;

  GHashTable          *principals;    /* name → UsdtpayPrincipal* */
  GHashTable          *sessions;      /* hash → Session* */
  GHashTable          *api_keys;      /* hash → ApiKey* */
  GHashTable          *orders;        /* id → EngineOrder* */
  GPtrArray           *order_list;    /* EngineOrder*, creation order */
  GQueue               rendered;      /* EngineOrder* with a rendering; see engine_order_json() */
  GHashTable          *external_ids;  /* "shop\x1fexternal_id" → EngineOrder* */
  GHashTable          *open_orders;   /* EngineOrder* set */
  GQueue               pending;       /* EngineOrder* created pending, oldest first;
                                       * the ones matched or closed since are
                                       * dropped as the queue is walked */
  GPtrArray           *merchants;     /* UsdtpayPrincipal* of role merchant */
  GHashTable          *balances;      /* account → gint64* */

  GPtrArray           *loaded_idempotency;

  gint64               head_seq;
  gint64               durable_seq;
  gint64               last_transfer_id;

  UsdtpayWebhooks     *webhooks;
  UsdtpayReceipts     *receipts;      /* nullable: operator commands sign nothing */
  UsdtpayChainBook    *chain_book;
};

G_DEFINE_FINAL_TYPE (UsdtpayEngine, usdtpay_engine, G_TYPE_OBJECT)

enum {
  EVENT_COMMITTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Lifecycle of the small records */

static void
method_free (gpointer data)
{
  UsdtpayMethod *method = data;

  g_free (method->id);
  g_free (method->account_name);
  g_free (method->account_number);
  g_free (method->qr);
  g_free (method);
}

static void
principal_free (gpointer data)
{
  UsdtpayPrincipal *principal = data;

  g_free (principal->name);
  g_free (principal->password_hash);
  g_free (principal->available_account);
  g_free (principal->frozen_account);
  g_clear_pointer (&principal->methods, g_ptr_array_unref);
  g_free (principal);
}

static void
engine_order_free (gpointer data)
{
  EngineOrder *eo = data;

  usdtpay_order_unref (eo->order);
  g_clear_pointer (&eo->offered, g_ptr_array_unref);
  g_clear_pointer (&eo->json, g_bytes_unref);
  g_free (eo);
}

static void
api_key_free (gpointer data)
{
  ApiKey *key = data;

  g_free (key->hash);
  g_free (key->principal);
  g_free (key->prefix);
  g_free (key);
}

static void
session_free (gpointer data)
{
  Session *session = data;

  g_free (session->principal);
  g_free (session);
}

static void
committed_event_free (gpointer data)
{
  UsdtpayCommittedEvent *event = data;

  g_strfreev (event->audience);
  g_bytes_unref (event->body);
  g_free (event);
}

void
usdtpay_caller_clear (UsdtpayCaller *caller)
{
  g_clear_pointer (&caller->session_hash, g_free);
  g_clear_pointer (&caller->order_id, g_free);
  caller->principal = NULL;
}

UsdtpayChange *
usdtpay_change_new (void)
{
  UsdtpayChange *change = g_new0 (UsdtpayChange, 1);

  change->batch = usdtpay_batch_new ();
  change->events = g_ptr_array_new_with_free_func (committed_event_free);

  return change;
}

void
usdtpay_change_free (UsdtpayChange *change)
{
  if (change == NULL)
    return;

  g_clear_pointer (&change->batch, usdtpay_batch_free);
  g_clear_pointer (&change->events, g_ptr_array_unref);
  g_free (change);
}

gboolean
usdtpay_change_is_empty (UsdtpayChange *change)
{
  return usdtpay_batch_get_n_ops (change->batch) == 0;
}

void
usdtpay_change_put_idempotency (UsdtpayChange *change,
                                const char    *shop,
                                const char    *key,
                                const char    *body_hash,
                                guint          status,
                                GBytes        *response,
                                gint64         created_at)
{
  usdtpay_batch_put_idempotency (change->batch, shop, key, body_hash, status, response, created_at);
}

/* Small helpers */

static char *
random_token (const char *prefix,
              gsize       n_bytes)
{
  guint8 bytes[32];
  char encoded[64];

  g_assert (n_bytes <= sizeof bytes);

  randombytes_buf (bytes, n_bytes);
  sodium_bin2base64 (encoded, sizeof encoded, bytes, n_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

  return g_strconcat (prefix, encoded, NULL);
}

static char *
hash_token (const char *token)
{
  guint8 digest[crypto_hash_sha256_BYTES];
  char hex[crypto_hash_sha256_BYTES * 2 + 1];

  crypto_hash_sha256 (digest, (const guint8 *)token, strlen (token));
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);

  return g_strdup (hex);
}

/* Ten characters of the wall clock's milliseconds, then ten random ones
 * (50 bits): ids made later sort later, so the indexes keyed by order id
 * grow at their right edge and a commit group dirties a few pages of them
 * instead of one page per order. */
static char *
new_order_id (void)
{
  static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  guint64 millis = (guint64)g_get_real_time () / 1000;
  guint8 bytes[10];
  char id[4 + 20 + 1] = "ord_";

  for (guint i = 0; i < 10; i++)
    id[4 + 9 - i] = alphabet[(millis >> (5 * i)) & 31];
  randombytes_buf (bytes, sizeof bytes);
  for (guint i = 0; i < 10; i++)
    id[14 + i] = alphabet[bytes[i] & 31];
  id[24] = '\0';

  return g_strdup (id);
}

static char *
merchant_account (const char *name,
                  const char *part)
{
  return g_strdup_printf ("merchant:%s:%s", name, part);
}

static char *
shop_account (const char *name)
{
  return g_strdup_printf ("shop:%s", name);
}

static char *
external_key (const char *shop,
              const char *external_id)
{
  return g_strconcat (shop, "\x1f", external_id, NULL);
}

static gboolean
is_method_id (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > 32)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_' && *p != '-')
      return FALSE;

  return TRUE;
}

static gboolean
check_text (const char  *member,
            const char  *value,
            gsize        max_length,
            GError     **error)
{
  gsize length = strlen (value);

  if (length == 0 || length > max_length)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "%s must be 1 to %" G_GSIZE_FORMAT " bytes long", member, max_length);
      return FALSE;
    }
  for (const char *p = value; *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      {
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                     "%s must not contain control characters", member);
        return FALSE;
      }

  return TRUE;
}


/* Clock */

gint64
usdtpay_engine_now (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), 0);

  return g_get_real_time () + self->clock_offset;
}

/* Merchant settings, as stored and as answered */

static void
build_methods (JsonBuilder *builder,
               GPtrArray   *methods)
{
  json_builder_begin_array (builder);
  for (guint i = 0; methods != NULL && i < methods->len; i++)
    {
      const UsdtpayMethod *method = g_ptr_array_index (methods, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, method->id);
      json_builder_set_member_name (builder, "account_name");
      json_builder_add_string_value (builder, method->account_name);
      json_builder_set_member_name (builder, "account_number");
      json_builder_add_string_value (builder, method->account_number);
      if (method->qr != NULL)
        {
          json_builder_set_member_name (builder, "qr");
          json_builder_add_string_value (builder, method->qr);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
build_money (JsonBuilder *builder,
             const char  *member,
             gint64       amount)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, usdtpay_money_format_buf (amount, USDTPAY_USDT_DECIMALS, buf));
}

static void
build_settings (JsonBuilder      *builder,
                UsdtpayPrincipal *merchant)
{
  json_builder_set_member_name (builder, "online");
  json_builder_add_boolean_value (builder, merchant->online);
  json_builder_set_member_name (builder, "auto_match");
  json_builder_add_boolean_value (builder, merchant->auto_match);
  build_money (builder, "min", merchant->min);
  build_money (builder, "max", merchant->max);
  json_builder_set_member_name (builder, "cap");
  json_builder_add_int_value (builder, merchant->cap);
  json_builder_set_member_name (builder, "methods");
  build_methods (builder, merchant->methods);
}

static char *
settings_to_string (UsdtpayPrincipal *merchant)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  if (merchant->role != USDTPAY_ROLE_MERCHANT)
    return NULL;

  json_builder_begin_object (builder);
  build_settings (builder, merchant);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  return usdtpay_json_to_string (node, NULL);
}

static gboolean
parse_methods (JsonNode   *node,
               GPtrArray **out,
               GError    **error)
{
  g_autoptr(GPtrArray) methods = g_ptr_array_new_with_free_func (method_free);
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "methods must be an array");
      return FALSE;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) > 16)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "at most 16 methods");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      static const char * const allowed[] = { "id", "account_name", "account_number", "qr", NULL };
      JsonNode *element = json_array_get_element (array, i);
      const char *id = NULL, *account_name = NULL, *account_number = NULL, *qr = NULL;
      UsdtpayMethod *method;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                       "methods[%u] must be an object", i);
          return FALSE;
        }
      object = json_node_get_object (element);
      if (!usdtpay_json_check_members (object, allowed, error) ||
          !usdtpay_json_get_string (object, "id", FALSE, &id, error) ||
          !usdtpay_json_get_string (object, "account_name", FALSE, &account_name, error) ||
          !usdtpay_json_get_string (object, "account_number", FALSE, &account_number, error) ||
          !usdtpay_json_get_string (object, "qr", TRUE, &qr, error) ||
          !check_text ("account_name", account_name, 200, error) ||
          !check_text ("account_number", account_number, 200, error) ||
          (qr != NULL && !check_text ("qr", qr, 2048, error)))
        return FALSE;
      if (!is_method_id (id))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                       "method id \"%s\" must be 1 to 32 of a-z, 0-9, '_' and '-'", id);
          return FALSE;
        }
      for (guint j = 0; j < methods->len; j++)
        if (g_str_equal (((UsdtpayMethod *)g_ptr_array_index (methods, j))->id, id))
          {
            g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                         "method \"%s\" is listed twice", id);
            return FALSE;
          }

      method = g_new0 (UsdtpayMethod, 1);
      method->id = g_strdup (id);
      method->account_name = g_strdup (account_name);
      method->account_number = g_strdup (account_number);
      method->qr = g_strdup (qr);
      g_ptr_array_add (methods, method);
    }

  *out = g_steal_pointer (&methods);

  return TRUE;
}

static void
principal_load_settings (UsdtpayPrincipal *merchant,
                         const char       *settings)
{
  g_autoptr(JsonObject) object = NULL;
  const char *text = NULL;
  gint64 cap = merchant->cap;
  JsonNode *methods;

  if (settings == NULL || !(object = usdtpay_json_parse_object (settings, strlen (settings), NULL)))
    return;

  usdtpay_json_get_boolean (object, "online", TRUE, &merchant->online, NULL);
  usdtpay_json_get_boolean (object, "auto_match", TRUE, &merchant->auto_match, NULL);
  if (usdtpay_json_get_string (object, "min", TRUE, &text, NULL) && text != NULL)
    usdtpay_usdt_parse (text, &merchant->min, NULL);
  text = NULL;
  if (usdtpay_json_get_string (object, "max", TRUE, &text, NULL) && text != NULL)
    usdtpay_usdt_parse (text, &merchant->max, NULL);
  if (usdtpay_json_get_int (object, "cap", TRUE, &cap, NULL))
    merchant->cap = cap;
  if ((methods = json_object_get_member (object, "methods")) != NULL)
    {
      GPtrArray *parsed = NULL;

      if (parse_methods (methods, &parsed, NULL))
        {
          g_clear_pointer (&merchant->methods, g_ptr_array_unref);
          merchant->methods = parsed;
        }
    }
}

static UsdtpayPrincipal *
principal_new (const char  *name,
               UsdtpayRole  role)
{
  UsdtpayPrincipal *principal = g_new0 (UsdtpayPrincipal, 1);

  principal->name = g_strdup (name);
  principal->role = role;
  principal->min = 1 * USDTPAY_MICRO_PER_USDT;
  principal->max = 100000 * USDTPAY_MICRO_PER_USDT;
  principal->cap = 10;
  principal->methods = g_ptr_array_new_with_free_func (method_free);
  principal->available_account = merchant_account (name, "available");
  principal->frozen_account = merchant_account (name, "frozen");

  return principal;
}

static void
persist_principal (UsdtpayChange    *change,
                   UsdtpayPrincipal *principal)
{
  g_autofree char *settings = settings_to_string (principal);
  UsdtpayPrincipalRecord record = {
    .name = principal->name,
    .role = principal->role,
    .password_hash = principal->password_hash,
    .settings = settings,
    .suspended = principal->suspended,
    .last_matched_at = principal->last_matched_at,
    .created_at = principal->created_at,
  };

  usdtpay_batch_put_principal (change->batch, &record);
}

/* Events */

/* Appends one event with its object already serialised, so an order is
 * written once, straight to text. */
static gint64
emit_event_raw (UsdtpayEngine      *self,
                UsdtpayChange      *change,
                UsdtpayEventType    type,
                const char         *order_id,
                const char         *object_json,
                gsize               object_length,
                const char * const *audience)
{
  UsdtpayCommittedEvent *event = g_new0 (UsdtpayCommittedEvent, 1);
  gint64 at = usdtpay_engine_now (self);
  gsize length = 0;
  char *text;

  event->seq = ++self->head_seq;
  event->type = type;
  event->audience = g_strdupv ((char **)audience);
  text = usdtpay_event_encode_raw (event->seq, type, at, object_json, object_length, &length);
  event->body = g_bytes_new_take (text, length);

  usdtpay_batch_append_event (change->batch, event->seq, type, at, order_id,
                              (const char * const *)event->audience, event->body);
  g_ptr_array_add (change->events, event);

  return at;
}

static void
emit_event (UsdtpayEngine      *self,
            UsdtpayChange      *change,
            UsdtpayEventType    type,
            const char         *order_id,
            JsonNode           *object,
            const char * const *audience)
{
  gsize length = 0;
  g_autofree char *json = usdtpay_json_to_string (object, &length);

  emit_event_raw (self, change, type, order_id, json, length, audience);
}

/* The order as text (no pay_url), made once per version: its row in the
 * store, its events and the answers about it share one rendering. Every
 * change to an order ends with bump(), which drops it. Only the latest
 * MAX_RENDERED renderings are kept: a change and its answers use one
 * within the same turn of the main loop, and a hundred thousand orders
 * would otherwise carry their text in memory for good. */
#define MAX_RENDERED 4096

static GBytes *
engine_order_json (UsdtpayEngine *self,
                   EngineOrder   *eo)
{
  if (eo->json == NULL)
    {
      GString *json = g_string_sized_new (640);

      usdtpay_order_append_json (eo->order, json, NULL);
      eo->json = g_string_free_to_bytes (json);

      /* An order may be queued more than once (one per version); dropping
       * a newer rendering early costs a rendering, nothing else. */
      g_queue_push_tail (&self->rendered, eo);
      if (g_queue_get_length (&self->rendered) > MAX_RENDERED)
        {
          EngineOrder *oldest = g_queue_pop_head (&self->rendered);

          g_clear_pointer (&oldest->json, g_bytes_unref);
        }
    }

  return eo->json;
}

/* @by and @reason make the event an audit record of a person's decision. */
static void
emit_order_event_full (UsdtpayEngine    *self,
                       UsdtpayChange    *change,
                       EngineOrder      *eo,
                       UsdtpayEventType  type,
                       const char       *by,
                       const char       *reason)
{
  const UsdtpayOrder *order = eo->order;
  const char *audience[3] = { order->shop, order->merchant, NULL };
  gsize length = 0;
  const char *json = g_bytes_get_data (engine_order_json (self, eo), &length);
  gint64 at;

  if (by != NULL || reason != NULL)
    {
      g_autoptr(GString) audit = g_string_new_len (json, length);

      if (by != NULL)
        usdtpay_json_object_add_string (audit, "by", by);
      if (reason != NULL)
        usdtpay_json_object_add_string (audit, "reason", reason);
      at = emit_event_raw (self, change, type, order->id, audit->str, audit->len, audience);
    }
  else
    at = emit_event_raw (self, change, type, order->id, json, length, audience);

  /* The webhook outbox: the delivery is written with the event. */
  if (usdtpay_webhooks_wants (self->webhooks, order->shop))
    {
      g_autofree char *pay_url = usdtpay_engine_pay_url (self, order);

      usdtpay_webhooks_order_event (self->webhooks, change->batch, self->head_seq, type, at, order,
                                    engine_order_json (self, eo), pay_url, by, reason);
    }
}

static void
emit_order_event (UsdtpayEngine    *self,
                  UsdtpayChange    *change,
                  EngineOrder      *eo,
                  UsdtpayEventType  type)
{
  emit_order_event_full (self, change, eo, type, NULL, NULL);
}

static void
emit_offer_event (UsdtpayEngine    *self,
                  UsdtpayChange    *change,
                  EngineOrder      *eo,
                  UsdtpayEventType  type,
                  GPtrArray        *merchants)
{
  g_autoptr(GPtrArray) audience = g_ptr_array_new ();

  if (merchants == NULL || merchants->len == 0)
    return;

  for (guint i = 0; i < merchants->len; i++)
    g_ptr_array_add (audience, g_ptr_array_index (merchants, i));
  g_ptr_array_add (audience, NULL);

  if (type == USDTPAY_EVENT_OFFER_WITHDRAWN)
    {
      /* A withdrawn offer says which order and nothing else. */
      g_autoptr(GString) json = g_string_new ("{\"id\":");

      usdtpay_json_append_string (json, eo->order->id, -1);
      g_string_append_c (json, '}');
      emit_event_raw (self, change, type, eo->order->id, json->str, json->len,
                      (const char * const *)audience->pdata);
    }
  else
    {
      gsize length = 0;
      const char *json = g_bytes_get_data (engine_order_json (self, eo), &length);

      emit_event_raw (self, change, type, eo->order->id, json, length,
                      (const char * const *)audience->pdata);
    }
}

void
usdtpay_engine_append_order (UsdtpayEngine      *self,
                             const UsdtpayOrder *order,
                             GString            *out)
{
  EngineOrder *eo;
  gsize length = 0;
  const char *json;

  g_return_if_fail (USDTPAY_IS_ENGINE (self));
  g_return_if_fail (order != NULL);

  eo = g_hash_table_lookup (self->orders, order->id);
  if (eo == NULL || eo->order != order)
    {
      usdtpay_order_append_json (order, out, NULL);
      return;
    }

  json = g_bytes_get_data (engine_order_json (self, eo), &length);
  g_string_append_len (out, json, length);
}

static void
persist_order (UsdtpayEngine *self,
               UsdtpayChange *change,
               EngineOrder   *eo)
{
  usdtpay_batch_put_order (change->batch, eo->order, eo->held, engine_order_json (self, eo));
}

/* Ledger */

gint64
usdtpay_engine_balance (UsdtpayEngine *self,
                        const char    *account)
{
  gint64 *balance;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), 0);

  balance = g_hash_table_lookup (self->balances, account);

  return balance ? *balance : 0;
}

static void
append_money_member (GString    *out,
                     const char *name,
                     gint64      amount)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  g_string_append_printf (out, ",\"%s\":\"%s\"", name,
                          usdtpay_money_format_buf (amount, USDTPAY_USDT_DECIMALS, buf));
}

/* A principal's balances as the balance.changed event and GET /v1/balances
 * show them. Written straight to text: every transfer sends one. */
static void
append_balance (UsdtpayEngine    *self,
                UsdtpayPrincipal *principal,
                GString          *out)
{
  g_string_append (out, "{\"principal\":");
  usdtpay_json_append_string (out, principal->name, -1);
  if (principal->role == USDTPAY_ROLE_MERCHANT)
    {
      append_money_member (out, "available", usdtpay_engine_balance (self, principal->available_account));
      append_money_member (out, "frozen", usdtpay_engine_balance (self, principal->frozen_account));
    }
  else
    {
      g_autofree char *account = shop_account (principal->name);

      append_money_member (out, "balance", usdtpay_engine_balance (self, account));
    }
  g_string_append_c (out, '}');
}

static JsonNode *
balance_object (UsdtpayEngine    *self,
                UsdtpayPrincipal *principal)
{
  g_autoptr(GString) json = g_string_sized_new (128);

  append_balance (self, principal, json);

  return usdtpay_json_parse_strict (json->str, json->len, NULL);
}

static UsdtpayPrincipal *
account_owner (UsdtpayEngine *self,
               const char    *account)
{
  g_autofree char *name = NULL;
  const char *start;
  const char *end;

  if (g_str_has_prefix (account, "merchant:"))
    {
      start = account + strlen ("merchant:");
      end = strrchr (start, ':');
      if (end == NULL)
        return NULL;
      name = g_strndup (start, end - start);
    }
  else if (g_str_has_prefix (account, "shop:"))
    name = g_strdup (account + strlen ("shop:"));
  else
    return NULL;

  return g_hash_table_lookup (self->principals, name);
}

/* Moves money between accounts as one transfer. The pairs (account, amount)
 * end with NULL and must sum to zero; no account but the chain's may go below
 * zero. On failure nothing has changed. */
static gboolean
transfer (UsdtpayEngine  *self,
          UsdtpayChange  *change,
          const char     *kind,
          const char     *order_id,
          GError        **error,
          ...)
{
  g_autoptr(GArray) entries = usdtpay_entries_new ();
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  const char *account;
  gint64 sum = 0;
  va_list args;

  va_start (args, error);
  while ((account = va_arg (args, const char *)) != NULL)
    {
      gint64 amount = va_arg (args, gint64);

      if (amount != 0)
        usdtpay_entries_add (entries, account, amount);
      sum += amount;
    }
  va_end (args);

  g_assert (sum == 0);

  for (guint i = 0; i < entries->len; i++)
    {
      const UsdtpayEntry *entry = &g_array_index (entries, UsdtpayEntry, i);

      if (!g_str_equal (entry->account, ACCOUNT_CHAIN) &&
          usdtpay_engine_balance (self, entry->account) + entry->amount < 0)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INSUFFICIENT_FUNDS,
                       "not enough funds in %s", entry->account);
          return FALSE;
        }
    }

  for (guint i = 0; i < entries->len; i++)
    {
      const UsdtpayEntry *entry = &g_array_index (entries, UsdtpayEntry, i);
      gint64 *balance = g_hash_table_lookup (self->balances, entry->account);
      UsdtpayPrincipal *owner;

      if (balance == NULL)
        {
          balance = g_new0 (gint64, 1);
          g_hash_table_insert (self->balances, g_strdup (entry->account), balance);
        }
      *balance += entry->amount;

      if ((owner = account_owner (self, entry->account)) != NULL && !g_ptr_array_find (owners, owner, NULL))
        g_ptr_array_add (owners, owner);
    }

  if (entries->len == 0)
    return TRUE;

  usdtpay_batch_add_transfer (change->batch, ++self->last_transfer_id, usdtpay_engine_now (self), kind,
                              order_id, g_steal_pointer (&entries));

  for (guint i = 0; i < owners->len; i++)
    {
      UsdtpayPrincipal *owner = g_ptr_array_index (owners, i);
      g_autoptr(GString) json = g_string_sized_new (128);
      const char *audience[] = { owner->name, NULL };

      append_balance (self, owner, json);
      emit_event_raw (self, change, USDTPAY_EVENT_BALANCE_CHANGED, NULL, json->str, json->len, audience);
    }

  return TRUE;
}

static gboolean
freeze (UsdtpayEngine  *self,
        UsdtpayChange  *change,
        EngineOrder    *eo,
        const char     *merchant,
        gint64          amount,
        GError        **error)
{
  g_autofree char *available = merchant_account (merchant, "available");
  g_autofree char *frozen = merchant_account (merchant, "frozen");

  if (!transfer (self, change, "freeze", eo->order->id, error,
                 available, -amount, frozen, amount, NULL))
    return FALSE;
  eo->held += amount;

  return TRUE;
}

static void
unfreeze (UsdtpayEngine *self,
          UsdtpayChange *change,
          EngineOrder   *eo)
{
  g_autofree char *available = NULL;
  g_autofree char *frozen = NULL;

  if (eo->held == 0)
    return;

  available = merchant_account (eo->order->merchant, "available");
  frozen = merchant_account (eo->order->merchant, "frozen");
  if (!transfer (self, change, "unfreeze", eo->order->id, NULL,
                 frozen, -eo->held, available, eo->held, NULL))
    g_assert_not_reached ();
  eo->held = 0;
}

static void
release (UsdtpayEngine *self,
         UsdtpayChange *change,
         EngineOrder   *eo)
{
  g_autofree char *frozen = merchant_account (eo->order->merchant, "frozen");
  g_autofree char *shop = shop_account (eo->order->shop);

  g_assert (eo->held == eo->order->amount);

  if (!transfer (self, change, "release", eo->order->id, NULL,
                 frozen, -eo->order->amount, shop, eo->order->net, ACCOUNT_FEES, eo->order->fee, NULL))
    g_assert_not_reached ();
  eo->held = 0;
}

/* Matching */

static const UsdtpayMethod *
merchant_method (UsdtpayPrincipal *merchant,
                 const char       *method_id)
{
  for (guint i = 0; merchant->methods != NULL && i < merchant->methods->len; i++)
    {
      const UsdtpayMethod *method = g_ptr_array_index (merchant->methods, i);

      if (g_str_equal (method->id, method_id))
        return method;
    }

  return NULL;
}

static gboolean
merchant_is_online (UsdtpayPrincipal *merchant)
{
  return merchant->online && merchant->n_connections > 0;
}

/* Whether @merchant could take @order now, setting @error to say why not. */
static gboolean
merchant_can_take (UsdtpayEngine     *self,
                   UsdtpayPrincipal  *merchant,
                   const UsdtpayOrder *order,
                   GError           **error)
{
  if (merchant->suspended)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the merchant is suspended");
  else if (usdtpay_engine_balance (self, merchant->available_account) < order->amount)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INSUFFICIENT_FUNDS,
                 "not enough escrow available for this order");
  else if (order->amount < merchant->min || order->amount > merchant->max)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                 "the amount is outside the merchant's per-order limits");
  else if (merchant->n_open >= merchant->cap)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                 "the merchant has reached its cap of open orders");
  else if (merchant_method (merchant, order->method) == NULL)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                 "the merchant does not support the method \"%s\"", order->method);
  else
    return TRUE;

  return FALSE;
}

static gboolean
merchant_is_eligible (UsdtpayEngine      *self,
                      UsdtpayPrincipal   *merchant,
                      const UsdtpayOrder *order)
{
  return merchant->role == USDTPAY_ROLE_MERCHANT &&
         merchant_is_online (merchant) &&
         merchant_can_take (self, merchant, order, NULL);
}

static gint
compare_least_recently_matched (gconstpointer a,
                                gconstpointer b)
{
  const UsdtpayPrincipal *pa = *(UsdtpayPrincipal * const *)a;
  const UsdtpayPrincipal *pb = *(UsdtpayPrincipal * const *)b;

  if (pa->last_matched_at != pb->last_matched_at)
    return pa->last_matched_at < pb->last_matched_at ? -1 : 1;

  return strcmp (pa->name, pb->name);
}

static GPtrArray *
eligible_merchants (UsdtpayEngine      *self,
                    const UsdtpayOrder *order)
{
  GPtrArray *eligible = g_ptr_array_new ();

  for (guint i = 0; i < self->merchants->len; i++)
    if (merchant_is_eligible (self, g_ptr_array_index (self->merchants, i), order))
      g_ptr_array_add (eligible, g_ptr_array_index (self->merchants, i));
  g_ptr_array_sort (eligible, compare_least_recently_matched);

  return eligible;
}

static gboolean
was_offered (EngineOrder *eo,
             const char  *merchant)
{
  for (guint i = 0; eo->offered != NULL && i < eo->offered->len; i++)
    if (g_str_equal (g_ptr_array_index (eo->offered, i), merchant))
      return TRUE;

  return FALSE;
}

static void
bump (EngineOrder *eo)
{
  eo->order->version++;
  g_clear_pointer (&eo->json, g_bytes_unref);
}

static void
merchant_order_opened (UsdtpayPrincipal *merchant)
{
  merchant->n_open++;
}

static void
close_order (UsdtpayEngine *self,
             EngineOrder   *eo)
{
  UsdtpayPrincipal *merchant = NULL;

  eo->order->closed_at = usdtpay_engine_now (self);
  g_hash_table_remove (self->open_orders, eo);
  if (eo->order->merchant != NULL)
    merchant = g_hash_table_lookup (self->principals, eo->order->merchant);
  if (merchant != NULL && merchant->n_open > 0)
    merchant->n_open--;
}

/* Withdraws the offers of @eo from everyone but @winner. */
static void
withdraw_offers (UsdtpayEngine *self,
                 UsdtpayChange *change,
                 EngineOrder   *eo,
                 const char    *winner)
{
  g_autoptr(GPtrArray) losers = g_ptr_array_new ();

  for (guint i = 0; eo->offered != NULL && i < eo->offered->len; i++)
    {
      const char *name = g_ptr_array_index (eo->offered, i);

      if (winner == NULL || !g_str_equal (name, winner))
        g_ptr_array_add (losers, (gpointer)name);
    }

  emit_offer_event (self, change, eo, USDTPAY_EVENT_OFFER_WITHDRAWN, losers);
}

static gboolean
match_order (UsdtpayEngine     *self,
             UsdtpayChange     *change,
             EngineOrder       *eo,
             UsdtpayPrincipal  *merchant,
             GError           **error)
{
  UsdtpayOrder *order = eo->order;
  gint64 now = usdtpay_engine_now (self);

  if (!freeze (self, change, eo, merchant->name, order->amount, error))
    return FALSE;

  order->state = USDTPAY_ORDER_MATCHED;
  order->merchant = g_strdup (merchant->name);
  order->matched_at = now;
  order->payment_deadline = now + (gint64)self->config.payment_minutes * 60 * G_USEC_PER_SEC;
  bump (eo);

  /* Not persisted: it is rebuilt from the orders' matched_at at start. */
  merchant->last_matched_at = now;
  merchant_order_opened (merchant);
  persist_order (self, change, eo);

  withdraw_offers (self, change, eo, merchant->name);
  emit_order_event (self, change, eo, USDTPAY_EVENT_ORDER_MATCHED);

  return TRUE;
}

/* Auto-matches a pending order to the eligible merchant matched least
 * recently, or else offers it to every eligible merchant it was not yet
 * offered to. */
static void
place_order (UsdtpayEngine *self,
             UsdtpayChange *change,
             EngineOrder   *eo)
{
  g_autoptr(GPtrArray) eligible = eligible_merchants (self, eo->order);
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();

  for (guint i = 0; i < eligible->len; i++)
    {
      UsdtpayPrincipal *merchant = g_ptr_array_index (eligible, i);

      if (merchant->auto_match)
        {
          if (match_order (self, change, eo, merchant, NULL))
            return;
        }
    }

  for (guint i = 0; i < eligible->len; i++)
    {
      UsdtpayPrincipal *merchant = g_ptr_array_index (eligible, i);

      if (!was_offered (eo, merchant->name))
        {
          if (eo->offered == NULL)
            eo->offered = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (eo->offered, g_strdup (merchant->name));
          g_ptr_array_add (fresh, merchant->name);
        }
    }

  emit_offer_event (self, change, eo, USDTPAY_EVENT_ORDER_OFFERED, fresh);
}

static gint
compare_index (gconstpointer a,
               gconstpointer b)
{
  const EngineOrder *ea = *(EngineOrder * const *)a;
  const EngineOrder *eb = *(EngineOrder * const *)b;

  return ea->index < eb->index ? -1 : ea->index > eb->index;
}

static GPtrArray *
open_orders_sorted (UsdtpayEngine *self)
{
  GPtrArray *orders = g_ptr_array_sized_new (g_hash_table_size (self->open_orders));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->open_orders);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (orders, key);
  g_ptr_array_sort (orders, compare_index);

  return orders;
}

/* Called when @merchant may have become eligible for waiting orders (or,
 * with NULL, when any may have). Only @merchant can change their outcome: an
 * order another auto-matching merchant could take would be matched already. */
static void
place_pending_orders (UsdtpayEngine    *self,
                      UsdtpayChange    *change,
                      UsdtpayPrincipal *merchant)
{
  GList *l = self->pending.head;

  while (l != NULL)
    {
      GList *next = l->next;
      EngineOrder *eo = l->data;

      if (eo->order->state != USDTPAY_ORDER_PENDING)
        g_queue_delete_link (&self->pending, l);
      else if (merchant == NULL)
        place_order (self, change, eo);
      else if (merchant->role == USDTPAY_ROLE_MERCHANT && merchant_is_eligible (self, merchant, eo->order))
        {
          if (merchant->auto_match)
            match_order (self, change, eo, merchant, NULL);
          else if (!was_offered (eo, merchant->name))
            {
              g_autoptr(GPtrArray) fresh = g_ptr_array_new ();

              if (eo->offered == NULL)
                eo->offered = g_ptr_array_new_with_free_func (g_free);
              g_ptr_array_add (eo->offered, g_strdup (merchant->name));
              g_ptr_array_add (fresh, merchant->name);
              emit_offer_event (self, change, eo, USDTPAY_EVENT_ORDER_OFFERED, fresh);
            }
        }
      l = next;
    }
}

static UsdtpayPrincipal *
order_merchant (UsdtpayEngine *self,
                EngineOrder   *eo)
{
  return eo->order->merchant ? g_hash_table_lookup (self->principals, eo->order->merchant) : NULL;
}

/* Orders */

static EngineOrder *
engine_order_add (UsdtpayEngine *self,
                  UsdtpayOrder  *order,
                  gint64         held)
{
  EngineOrder *eo = g_new0 (EngineOrder, 1);

  eo->order = order;
  eo->held = held;
  eo->index = self->order_list->len;
  g_ptr_array_add (self->order_list, eo);
  g_hash_table_insert (self->orders, order->id, eo);
  g_hash_table_insert (self->external_ids, external_key (order->shop, order->external_id), eo);
  if (usdtpay_order_state_is_open (order->state))
    g_hash_table_add (self->open_orders, eo);

  return eo;
}

gboolean
usdtpay_engine_find_external_id (UsdtpayEngine *self,
                                 const char    *shop,
                                 const char    *external_id)
{
  g_autofree char *key = external_key (shop, external_id);

  return g_hash_table_contains (self->external_ids, key);
}

UsdtpayOrder *
usdtpay_engine_create_order (UsdtpayEngine  *self,
                             UsdtpayCaller  *caller,
                             JsonObject     *params,
                             UsdtpayChange  *change,
                             GError        **error)
{
  static const char * const allowed[] = {
    "amount", "fiat_amount", "fiat_currency", "method", "external_id", "customer_ref",
    "return_url", NULL
  };
  const char *fiat_amount = NULL, *fiat_currency = NULL, *method = NULL, *external_id = NULL;
  const char *customer_ref = NULL, *return_url = NULL;
  g_autoptr(UsdtpayOrder) order = NULL;
  gint64 amount = 0, fiat = 0;
  gint64 now = usdtpay_engine_now (self);
  EngineOrder *eo;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);
  g_return_val_if_fail (caller->role == USDTPAY_ROLE_SHOP, NULL);

  if (!usdtpay_json_check_members (params, allowed, error) ||
      !usdtpay_json_get_usdt (params, "amount", FALSE, TRUE, &amount, error) ||
      !usdtpay_json_get_string (params, "fiat_amount", FALSE, &fiat_amount, error) ||
      !usdtpay_json_get_string (params, "fiat_currency", FALSE, &fiat_currency, error) ||
      !usdtpay_json_get_string (params, "method", FALSE, &method, error) ||
      !usdtpay_json_get_string (params, "external_id", FALSE, &external_id, error) ||
      !usdtpay_json_get_string (params, "customer_ref", TRUE, &customer_ref, error) ||
      !usdtpay_json_get_string (params, "return_url", TRUE, &return_url, error))
    return NULL;

  if (amount > USDTPAY_ORDER_AMOUNT_MAX)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   "amount must be at most 1000000000 USDT");
      return NULL;
    }
  if (usdtpay_currency_lookup (fiat_currency) == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "fiat_currency \"%s\" is not an ISO 4217 currency code", fiat_currency);
      return NULL;
    }
  if (!usdtpay_fiat_parse (fiat_amount, fiat_currency, &fiat, error))
    return NULL;
  if (!is_method_id (method))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "method must be 1 to 32 of a-z, 0-9, '_' and '-'");
      return NULL;
    }
  if (!check_text ("external_id", external_id, MAX_TEXT, error) ||
      (customer_ref != NULL && !check_text ("customer_ref", customer_ref, MAX_TEXT, error)))
    return NULL;
  if (return_url != NULL &&
      (!check_text ("return_url", return_url, 2048, error) ||
       !(g_str_has_prefix (return_url, "https://") || g_str_has_prefix (return_url, "http://")) ||
       !g_uri_is_valid (return_url, G_URI_FLAGS_NONE, NULL)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                     "return_url must be an http or https URL");
      return NULL;
    }
  if (usdtpay_engine_find_external_id (self, caller->principal->name, external_id))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_DUPLICATE_EXTERNAL_ID,
                   "an order with external_id \"%s\" exists already", external_id);
      return NULL;
    }

  order = usdtpay_order_new ();
  order->id = new_order_id ();
  order->version = 1;
  order->state = USDTPAY_ORDER_PENDING;
  order->amount = amount;
  order->fee = usdtpay_fee_compute (amount, self->config.fee_bps);
  order->net = amount - order->fee;
  order->fiat_amount = fiat;
  g_strlcpy (order->fiat_currency, fiat_currency, sizeof order->fiat_currency);
  order->method = g_strdup (method);
  order->external_id = g_strdup (external_id);
  order->customer_ref = g_strdup (customer_ref);
  order->shop = g_strdup (caller->principal->name);
  order->return_url = g_strdup (return_url);
  order->created_at = now;
  order->offer_deadline = now + (gint64)self->config.offer_seconds * G_USEC_PER_SEC;

  eo = engine_order_add (self, g_steal_pointer (&order), 0);
  persist_order (self, change, eo);
  emit_order_event (self, change, eo, USDTPAY_EVENT_ORDER_CREATED);
  place_order (self, change, eo);
  if (eo->order->state == USDTPAY_ORDER_PENDING)
    g_queue_push_tail (&self->pending, eo);

  return eo->order;
}

/* Whether @caller may see @eo at all: the rest answer 404. */
static gboolean
order_visible_to (EngineOrder   *eo,
                  UsdtpayCaller *caller)
{
  const UsdtpayOrder *order = eo->order;

  switch (caller->role)
    {
    case USDTPAY_ROLE_SUPPORT:
      return TRUE;
    case USDTPAY_ROLE_SHOP:
      return g_str_equal (order->shop, caller->principal->name);
    case USDTPAY_ROLE_CUSTOMER:
      return g_strcmp0 (caller->order_id, order->id) == 0;
    case USDTPAY_ROLE_MERCHANT:
      /* An offer is visible while it stands; after that, only to the winner. */
      return g_strcmp0 (order->merchant, caller->principal->name) == 0 ||
             (order->state == USDTPAY_ORDER_PENDING && was_offered (eo, caller->principal->name));
    case USDTPAY_ROLE_SYSTEM:
    case USDTPAY_N_ROLES:
    default:
      return FALSE;
    }
}

static EngineOrder *
lookup_visible (UsdtpayEngine  *self,
                UsdtpayCaller  *caller,
                const char     *order_id,
                GError        **error)
{
  EngineOrder *eo = g_hash_table_lookup (self->orders, order_id);

  if (eo == NULL || !order_visible_to (eo, caller))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no order %s", order_id);
      return NULL;
    }

  return eo;
}

UsdtpayOrder *
usdtpay_engine_get_order (UsdtpayEngine  *self,
                          UsdtpayCaller  *caller,
                          const char     *order_id,
                          GError        **error)
{
  EngineOrder *eo;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  if (!(eo = lookup_visible (self, caller, order_id, error)))
    return NULL;

  return eo->order;
}

GPtrArray *
usdtpay_engine_list_orders (UsdtpayEngine      *self,
                            UsdtpayCaller      *caller,
                            gboolean            have_state,
                            UsdtpayOrderState   state,
                            const char         *cursor,
                            guint               limit,
                            char              **next_cursor,
                            GError            **error)
{
  return usdtpay_engine_list_orders_filtered (self, caller, have_state, state, NULL, cursor, limit,
                                              next_cursor, error);
}

static gboolean
filter_matches (const UsdtpayOrderFilter *filter,
                const UsdtpayOrder       *order)
{
  return (filter->merchant == NULL || g_strcmp0 (order->merchant, filter->merchant) == 0) &&
         (filter->from == 0 || order->created_at >= filter->from) &&
         (filter->to == 0 || order->created_at < filter->to);
}

GPtrArray *
usdtpay_engine_list_orders_filtered (UsdtpayEngine            *self,
                                     UsdtpayCaller            *caller,
                                     gboolean                  have_state,
                                     UsdtpayOrderState         state,
                                     const UsdtpayOrderFilter *filter,
                                     const char               *cursor,
                                     guint                     limit,
                                     char                    **next_cursor,
                                     GError                  **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  gint64 start = self->order_list->len;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  /* The cursor is the creation index of the last order answered; listing
   * runs newest first. */
  if (cursor != NULL)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (cursor, 10, 0, self->order_list->len, &value, NULL))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "after is not a valid cursor");
          return NULL;
        }
      start = value;
    }

  *next_cursor = NULL;
  for (gint64 i = start - 1; i >= 0; i--)
    {
      EngineOrder *eo = g_ptr_array_index (self->order_list, i);

      if (have_state && eo->order->state != state)
        continue;
      if (filter != NULL && !filter_matches (filter, eo->order))
        continue;
      if (!order_visible_to (eo, caller))
        continue;
      if (items->len == limit)
        {
          *next_cursor = g_strdup_printf ("%u", ((EngineOrder *)g_ptr_array_index (items, items->len - 1))->index);
          break;
        }
      g_ptr_array_add (items, eo);
    }

  for (guint i = 0; i < items->len; i++)
    items->pdata[i] = ((EngineOrder *)items->pdata[i])->order;

  return g_steal_pointer (&items);
}

char *
usdtpay_engine_pay_url (UsdtpayEngine      *self,
                        const UsdtpayOrder *order)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char token[64];

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  crypto_auth_hmacsha256 (mac, (const guint8 *)order->id, strlen (order->id), self->secret);
  sodium_bin2base64 (token, sizeof token, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

  return g_strdup_printf ("%s/pay/%s?t=%s", self->base_url ? self->base_url : "", order->id, token);
}

const UsdtpayMethod *
usdtpay_engine_order_method (UsdtpayEngine      *self,
                             const UsdtpayOrder *order)
{
  UsdtpayPrincipal *merchant;

  if (order->merchant == NULL || !(merchant = g_hash_table_lookup (self->principals, order->merchant)))
    return NULL;

  return merchant_method (merchant, order->method);
}

/* Order actions */

typedef struct
{
  const char *payer_name;
  const char *reason;
  gboolean    resolve_complete;
} ActionParams;

static gboolean
parse_action_params (UsdtpayOrderAction   action,
                     JsonObject          *params,
                     ActionParams        *out,
                     GError             **error)
{
  static const char * const none[] = { NULL };
  static const char * const pay[] = { "payer_name", NULL };
  static const char * const dispute[] = { "reason", NULL };
  static const char * const resolve[] = { "outcome", "reason", NULL };

  switch (action)
    {
    case USDTPAY_ACTION_ACCEPT:
    case USDTPAY_ACTION_CONFIRM:
    case USDTPAY_ACTION_CANCEL:
      return usdtpay_json_check_members (params, none, error);

    case USDTPAY_ACTION_PAY:
      if (params == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "payer_name is required");
          return FALSE;
        }
      return usdtpay_json_check_members (params, pay, error) &&
             usdtpay_json_get_string (params, "payer_name", FALSE, &out->payer_name, error) &&
             check_text ("payer_name", out->payer_name, 200, error);

    case USDTPAY_ACTION_DISPUTE:
      if (params == NULL)
        return TRUE;
      return usdtpay_json_check_members (params, dispute, error) &&
             usdtpay_json_get_string (params, "reason", TRUE, &out->reason, error) &&
             (out->reason == NULL || check_text ("reason", out->reason, 1000, error));

    case USDTPAY_ACTION_RESOLVE_COMPLETE:
    case USDTPAY_ACTION_RESOLVE_CANCEL:
      {
        const char *outcome = NULL;

        if (params == NULL)
          {
            g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                         "outcome and reason are required");
            return FALSE;
          }
        if (!usdtpay_json_check_members (params, resolve, error) ||
            !usdtpay_json_get_string (params, "outcome", FALSE, &outcome, error) ||
            !usdtpay_json_get_string (params, "reason", FALSE, &out->reason, error) ||
            !check_text ("reason", out->reason, 1000, error))
          return FALSE;
        if (g_str_equal (outcome, "completed"))
          out->resolve_complete = TRUE;
        else if (!g_str_equal (outcome, "cancelled"))
          {
            g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                         "outcome must be \"completed\" or \"cancelled\"");
            return FALSE;
          }
        return TRUE;
      }

    case USDTPAY_ACTION_MATCH:
    case USDTPAY_ACTION_EXPIRE:
    case USDTPAY_N_ACTIONS:
    default:
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only the platform may do that");
      return FALSE;
    }
}

static gboolean
caller_is_party (EngineOrder   *eo,
                 UsdtpayCaller *caller)
{
  switch (caller->role)
    {
    case USDTPAY_ROLE_MERCHANT:
      return g_strcmp0 (eo->order->merchant, caller->principal->name) == 0;
    case USDTPAY_ROLE_SHOP:
    case USDTPAY_ROLE_CUSTOMER:
    case USDTPAY_ROLE_SUPPORT:
      return TRUE;
    case USDTPAY_ROLE_SYSTEM:
    case USDTPAY_N_ROLES:
    default:
      return FALSE;
    }
}

static const char *
caller_name (UsdtpayCaller *caller)
{
  return caller->principal ? caller->principal->name : "customer";
}

static gboolean
apply_accept (UsdtpayEngine  *self,
              UsdtpayChange  *change,
              EngineOrder    *eo,
              UsdtpayCaller  *caller,
              GError        **error)
{
  UsdtpayPrincipal *merchant = caller->principal;

  if (!merchant_can_take (self, merchant, eo->order, error))
    return FALSE;

  return match_order (self, change, eo, merchant, error);
}

static void
apply_pay (UsdtpayEngine *self,
           UsdtpayChange *change,
           EngineOrder   *eo,
           const char    *payer_name)
{
  gint64 now = usdtpay_engine_now (self);

  eo->order->state = USDTPAY_ORDER_PAID;
  g_free (eo->order->payer_name);
  eo->order->payer_name = g_strdup (payer_name);
  eo->order->paid_at = now;
  eo->order->confirm_deadline = now + (gint64)self->config.confirm_minutes * 60 * G_USEC_PER_SEC;
  bump (eo);
  persist_order (self, change, eo);
  emit_order_event (self, change, eo, USDTPAY_EVENT_ORDER_PAID);
}

static void
apply_complete (UsdtpayEngine *self,
                UsdtpayChange *change,
                EngineOrder   *eo)
{
  release (self, change, eo);
  eo->order->state = USDTPAY_ORDER_COMPLETED;
  eo->order->completed_at = usdtpay_engine_now (self);
  close_order (self, eo);
  bump (eo);
  persist_order (self, change, eo);
}

static void
apply_cancel (UsdtpayEngine     *self,
              UsdtpayChange     *change,
              EngineOrder       *eo,
              UsdtpayOrderState  to)
{
  if (eo->order->state == USDTPAY_ORDER_PENDING)
    withdraw_offers (self, change, eo, NULL);
  unfreeze (self, change, eo);
  eo->order->state = to;
  close_order (self, eo);
  bump (eo);
  persist_order (self, change, eo);
}

static gboolean
apply_dispute (UsdtpayEngine  *self,
               UsdtpayChange  *change,
               EngineOrder    *eo,
               UsdtpayCaller  *caller,
               const char     *reason,
               GError        **error)
{
  UsdtpayOrder *order = eo->order;

  if (order->state == USDTPAY_ORDER_EXPIRED || order->state == USDTPAY_ORDER_CANCELLED)
    {
      UsdtpayPrincipal *merchant;

      /* A customer who paid late may appeal a closed order for 24 h, if a
       * merchant had taken it (nobody else could have been paid). */
      if (order->merchant == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION,
                       "order is %s and was never matched; there is nothing to appeal",
                       usdtpay_order_state_to_string (order->state));
          return FALSE;
        }
      if (usdtpay_engine_now (self) > order->closed_at + LATE_APPEAL_USEC)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION,
                       "order is %s and the 24 h appeal window has passed",
                       usdtpay_order_state_to_string (order->state));
          return FALSE;
        }
      /* Hold the escrow again if the merchant still has it, so that support
       * can settle for the customer; support sees any shortfall. */
      freeze (self, change, eo, order->merchant, order->amount, NULL);
      g_hash_table_add (self->open_orders, eo);
      if ((merchant = g_hash_table_lookup (self->principals, order->merchant)) != NULL)
        merchant_order_opened (merchant);
      order->closed_at = 0;
    }

  order->state = USDTPAY_ORDER_DISPUTED;
  bump (eo);
  persist_order (self, change, eo);
  emit_order_event_full (self, change, eo, USDTPAY_EVENT_ORDER_DISPUTED,
                         caller ? caller_name (caller) : "platform", reason);

  return TRUE;
}

/* The receipt of the event just emitted, in the same batch. */
static void
sign_receipt (UsdtpayEngine    *self,
              UsdtpayChange    *change,
              EngineOrder      *eo,
              UsdtpayEventType  type)
{
  if (self->receipts != NULL)
    usdtpay_receipts_sign (self->receipts, eo->order, usdtpay_event_type_to_string (type),
                           self->head_seq, usdtpay_engine_now (self), change->batch);
}

static gboolean
apply_resolve (UsdtpayEngine  *self,
               UsdtpayChange  *change,
               EngineOrder    *eo,
               UsdtpayCaller  *caller,
               gboolean        complete,
               const char     *reason,
               GError        **error)
{
  if (complete)
    {
      if (eo->held < eo->order->amount &&
          !freeze (self, change, eo, eo->order->merchant, eo->order->amount - eo->held, error))
        return FALSE;
      apply_complete (self, change, eo);
    }
  else
    apply_cancel (self, change, eo, USDTPAY_ORDER_CANCELLED);

  emit_order_event_full (self, change, eo, USDTPAY_EVENT_ORDER_RESOLVED, caller_name (caller), reason);
  sign_receipt (self, change, eo, USDTPAY_EVENT_ORDER_RESOLVED);

  return TRUE;
}

UsdtpayOrder *
usdtpay_engine_order_action (UsdtpayEngine       *self,
                             UsdtpayCaller       *caller,
                             const char          *order_id,
                             UsdtpayOrderAction   action,
                             JsonObject          *params,
                             UsdtpayChange       *change,
                             gboolean            *noop,
                             GError             **error)
{
  ActionParams ap = { 0 };
  UsdtpayOrderState to;
  EngineOrder *eo;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  *noop = FALSE;

  if (action == USDTPAY_ACTION_RESOLVE_COMPLETE || action == USDTPAY_ACTION_RESOLVE_CANCEL)
    {
      if (!usdtpay_order_action_allowed_for (USDTPAY_ACTION_RESOLVE_COMPLETE, caller->role))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only support may resolve disputes");
          return NULL;
        }
    }
  else if (!usdtpay_order_action_allowed_for (action, caller->role))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "a %s may not %s an order",
                   usdtpay_role_to_string (caller->role), usdtpay_order_action_to_string (action));
      return NULL;
    }
  if (caller->role == USDTPAY_ROLE_SHOP && !(caller->scopes & USDTPAY_SCOPE_ORDERS_WRITE))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the key lacks the orders:write scope");
      return NULL;
    }

  if (!parse_action_params (action, params, &ap, error))
    return NULL;
  if (action == USDTPAY_ACTION_RESOLVE_COMPLETE || action == USDTPAY_ACTION_RESOLVE_CANCEL)
    action = ap.resolve_complete ? USDTPAY_ACTION_RESOLVE_COMPLETE : USDTPAY_ACTION_RESOLVE_CANCEL;

  /* An offer someone else won is a lost race, not an unknown order. */
  eo = g_hash_table_lookup (self->orders, order_id);
  if (action == USDTPAY_ACTION_ACCEPT && eo != NULL &&
      was_offered (eo, caller->principal->name) &&
      g_strcmp0 (eo->order->merchant, caller->principal->name) != 0 &&
      eo->order->state != USDTPAY_ORDER_PENDING)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ALREADY_TAKEN,
                   "order %s was taken by another merchant or is no longer offered", order_id);
      return NULL;
    }

  if (!(eo = lookup_visible (self, caller, order_id, error)))
    return NULL;

  if (eo->order->state == usdtpay_order_action_target (action) && caller_is_party (eo, caller))
    {
      *noop = TRUE;
      return eo->order;
    }

  if (!usdtpay_order_transition (eo->order->state, action, caller->role, &to, error))
    return NULL;

  switch (action)
    {
    case USDTPAY_ACTION_ACCEPT:
      if (!apply_accept (self, change, eo, caller, error))
        return NULL;
      break;

    case USDTPAY_ACTION_PAY:
      apply_pay (self, change, eo, ap.payer_name);
      break;

    case USDTPAY_ACTION_CONFIRM:
      if (!caller_is_party (eo, caller))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no order %s", order_id);
          return NULL;
        }
      apply_complete (self, change, eo);
      emit_order_event (self, change, eo, USDTPAY_EVENT_ORDER_COMPLETED);
      sign_receipt (self, change, eo, USDTPAY_EVENT_ORDER_COMPLETED);
      place_pending_orders (self, change, order_merchant (self, eo));
      break;

    case USDTPAY_ACTION_CANCEL:
      apply_cancel (self, change, eo, to);
      emit_order_event_full (self, change, eo, USDTPAY_EVENT_ORDER_CANCELLED, caller_name (caller), NULL);
      if (eo->order->merchant != NULL)
        place_pending_orders (self, change, order_merchant (self, eo));
      break;

    case USDTPAY_ACTION_DISPUTE:
      if (!apply_dispute (self, change, eo, caller, ap.reason, error))
        return NULL;
      break;

    case USDTPAY_ACTION_RESOLVE_COMPLETE:
    case USDTPAY_ACTION_RESOLVE_CANCEL:
      if (!apply_resolve (self, change, eo, caller, action == USDTPAY_ACTION_RESOLVE_COMPLETE,
                          ap.reason, error))
        return NULL;
      place_pending_orders (self, change, order_merchant (self, eo));
      break;

    case USDTPAY_ACTION_MATCH:
    case USDTPAY_ACTION_EXPIRE:
    case USDTPAY_N_ACTIONS:
    default:
      g_assert_not_reached ();
    }

  return eo->order;
}

/* Merchants */

JsonNode *
usdtpay_engine_merchant_to_json (UsdtpayEngine    *self,
                                 UsdtpayPrincipal *merchant)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, merchant->name);
  build_settings (builder, merchant);
  json_builder_set_member_name (builder, "connected");
  json_builder_add_boolean_value (builder, merchant->n_connections > 0);
  json_builder_set_member_name (builder, "suspended");
  json_builder_add_boolean_value (builder, merchant->suspended);
  json_builder_set_member_name (builder, "open_orders");
  json_builder_add_int_value (builder, merchant->n_open);
  build_money (builder, "available", usdtpay_engine_balance (self, merchant->available_account));
  build_money (builder, "frozen", usdtpay_engine_balance (self, merchant->frozen_account));
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
emit_merchant_updated (UsdtpayEngine    *self,
                       UsdtpayChange    *change,
                       UsdtpayPrincipal *merchant,
                       const char       *by,
                       const char       *reason)
{
  g_autoptr(JsonNode) node = usdtpay_engine_merchant_to_json (self, merchant);
  const char *audience[] = { merchant->name, NULL };

  if (by != NULL)
    json_object_set_string_member (json_node_get_object (node), "by", by);
  if (reason != NULL)
    json_object_set_string_member (json_node_get_object (node), "reason", reason);

  persist_principal (change, merchant);
  emit_event (self, change, USDTPAY_EVENT_MERCHANT_UPDATED, NULL, node, audience);
}

gboolean
usdtpay_engine_update_merchant (UsdtpayEngine     *self,
                                UsdtpayPrincipal  *merchant,
                                JsonObject        *params,
                                UsdtpayChange     *change,
                                GError           **error)
{
  static const char * const allowed[] = { "online", "auto_match", "min", "max", "cap", "methods", NULL };
  gboolean online = merchant->online, auto_match = merchant->auto_match;
  gint64 min = merchant->min, max = merchant->max, cap = merchant->cap;
  g_autoptr(GPtrArray) methods = NULL;
  JsonNode *methods_node;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), FALSE);

  if (!usdtpay_json_check_members (params, allowed, error) ||
      !usdtpay_json_get_boolean (params, "online", TRUE, &online, error) ||
      !usdtpay_json_get_boolean (params, "auto_match", TRUE, &auto_match, error) ||
      !usdtpay_json_get_usdt (params, "min", TRUE, TRUE, &min, error) ||
      !usdtpay_json_get_usdt (params, "max", TRUE, TRUE, &max, error) ||
      !usdtpay_json_get_int (params, "cap", TRUE, &cap, error))
    return FALSE;
  if (min > max)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "min must not exceed max");
      return FALSE;
    }
  if (cap < 0 || cap > 1000000)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "cap must be from 0 to 1000000");
      return FALSE;
    }
  if ((methods_node = json_object_get_member (params, "methods")) != NULL &&
      !parse_methods (methods_node, &methods, error))
    return FALSE;

  if (online == merchant->online && auto_match == merchant->auto_match && min == merchant->min &&
      max == merchant->max && cap == merchant->cap && methods == NULL)
    return TRUE;

  merchant->online = online;
  merchant->auto_match = auto_match;
  merchant->min = min;
  merchant->max = max;
  merchant->cap = cap;
  if (methods != NULL)
    {
      g_ptr_array_unref (merchant->methods);
      merchant->methods = g_steal_pointer (&methods);
    }
  if (online)
    merchant->disconnected_at = merchant->n_connections > 0 ? 0 : usdtpay_engine_now (self);

  emit_merchant_updated (self, change, merchant, NULL, NULL);
  place_pending_orders (self, change, merchant);

  return TRUE;
}

gboolean
usdtpay_engine_set_suspended (UsdtpayEngine  *self,
                              UsdtpayCaller  *caller,
                              const char     *name,
                              gboolean        suspended,
                              const char     *reason,
                              UsdtpayChange  *change,
                              GError        **error)
{
  UsdtpayPrincipal *merchant = g_hash_table_lookup (self->principals, name);

  if (merchant == NULL || merchant->role != USDTPAY_ROLE_MERCHANT)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no merchant %s", name);
      return FALSE;
    }
  if (!check_text ("reason", reason, 1000, error))
    return FALSE;
  if (merchant->suspended == suspended)
    return TRUE;

  merchant->suspended = suspended;
  emit_merchant_updated (self, change, merchant, caller_name (caller), reason);
  if (!suspended)
    place_pending_orders (self, change, merchant);

  return TRUE;
}

GPtrArray *
usdtpay_engine_list_merchants (UsdtpayEngine *self)
{
  GPtrArray *merchants = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->principals);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((UsdtpayPrincipal *)value)->role == USDTPAY_ROLE_MERCHANT)
      g_ptr_array_add (merchants, value);
  g_ptr_array_sort (merchants, compare_least_recently_matched);

  return merchants;
}

void
usdtpay_engine_merchant_connected (UsdtpayEngine    *self,
                                   UsdtpayPrincipal *merchant,
                                   UsdtpayChange    *change)
{
  merchant->n_connections++;
  merchant->disconnected_at = 0;
  if (merchant->n_connections == 1 && merchant->online)
    place_pending_orders (self, change, merchant);
}

void
usdtpay_engine_merchant_disconnected (UsdtpayEngine    *self,
                                      UsdtpayPrincipal *merchant)
{
  g_return_if_fail (merchant->n_connections > 0);

  if (--merchant->n_connections == 0)
    merchant->disconnected_at = usdtpay_engine_now (self);
}

/* Balances */

JsonNode *
usdtpay_engine_balances_to_json (UsdtpayEngine *self,
                                 UsdtpayCaller *caller)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GList) accounts = NULL;
  JsonNode *node;

  if (caller->role == USDTPAY_ROLE_MERCHANT || caller->role == USDTPAY_ROLE_SHOP)
    {
      node = balance_object (self, caller->principal);
      json_object_remove_member (json_node_get_object (node), "principal");
      return node;
    }

  builder = json_builder_new ();
  accounts = g_list_sort (g_hash_table_get_keys (self->balances), (GCompareFunc)strcmp);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_object (builder);
  for (const GList *l = accounts; l; l = l->next)
    build_money (builder, l->data, usdtpay_engine_balance (self, l->data));
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* Deadlines */

void
usdtpay_engine_tick (UsdtpayEngine *self,
                     UsdtpayChange *change)
{
  g_autoptr(GPtrArray) orders = open_orders_sorted (self);
  gint64 now = usdtpay_engine_now (self);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (USDTPAY_IS_ENGINE (self));

  for (guint i = 0; i < orders->len; i++)
    {
      EngineOrder *eo = g_ptr_array_index (orders, i);
      UsdtpayOrder *order = eo->order;

      if ((order->state == USDTPAY_ORDER_PENDING && now >= order->offer_deadline) ||
          (order->state == USDTPAY_ORDER_MATCHED && now >= order->payment_deadline))
        {
          apply_cancel (self, change, eo, USDTPAY_ORDER_EXPIRED);
          emit_order_event (self, change, eo, USDTPAY_EVENT_ORDER_EXPIRED);
        }
      else if (order->state == USDTPAY_ORDER_PAID && now >= order->confirm_deadline)
        {
          /* Never auto-release: a person decides. */
          apply_dispute (self, change, eo, NULL, "the merchant did not confirm in time", NULL);
        }
    }

  g_hash_table_iter_init (&iter, self->principals);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      UsdtpayPrincipal *merchant = value;

      if (merchant->role == USDTPAY_ROLE_MERCHANT && merchant->online &&
          merchant->n_connections == 0 && merchant->disconnected_at != 0 &&
          now >= merchant->disconnected_at + OFFLINE_GRACE_USEC)
        {
          merchant->online = FALSE;
          emit_merchant_updated (self, change, merchant, "platform",
                                 "no connection for 30 seconds");
        }
    }

  if (!usdtpay_change_is_empty (change))
    place_pending_orders (self, change, NULL);
}

gboolean
usdtpay_engine_advance_clock (UsdtpayEngine  *self,
                              gint64          seconds,
                              UsdtpayChange  *change,
                              GError        **error)
{
  g_autofree char *value = NULL;

  if (!self->dev)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the clock moves only on a dev database");
      return FALSE;
    }
  if (seconds < 0 || seconds > G_GINT64_CONSTANT (10) * 365 * 24 * 3600)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "advance_seconds must be from 0 to ten years");
      return FALSE;
    }

  self->clock_offset += seconds * G_USEC_PER_SEC;
  value = g_strdup_printf ("%" G_GINT64_FORMAT, self->clock_offset);
  usdtpay_batch_put_meta (change->batch, "clock_offset", value);
  usdtpay_engine_tick (self, change);

  return TRUE;
}

/* Authentication */

static const struct {
  const char *name;
  guint       scope;
} scope_names[] = {
  { "orders:write", USDTPAY_SCOPE_ORDERS_WRITE },
  { "orders:read", USDTPAY_SCOPE_ORDERS_READ },
  { "webhooks", USDTPAY_SCOPE_WEBHOOKS },
  { "balance:withdraw", USDTPAY_SCOPE_BALANCE_WITHDRAW },
};

guint
usdtpay_scopes_parse (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text ? text : "", " ,", -1);
  guint scopes = 0;

  for (guint i = 0; words[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (scope_names); j++)
      if (g_str_equal (words[i], scope_names[j].name))
        scopes |= scope_names[j].scope;

  return scopes;
}

char *
usdtpay_scopes_to_string (guint scopes)
{
  GString *text = g_string_new (NULL);

  for (guint j = 0; j < G_N_ELEMENTS (scope_names); j++)
    if (scopes & scope_names[j].scope)
      {
        if (text->len > 0)
          g_string_append_c (text, ' ');
        g_string_append (text, scope_names[j].name);
      }

  return g_string_free (text, FALSE);
}

gboolean
usdtpay_engine_authenticate (UsdtpayEngine  *self,
                             const char     *token,
                             UsdtpayCaller  *caller,
                             GError        **error)
{
  g_autofree char *hash = NULL;
  UsdtpayPrincipal *principal = NULL;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), FALSE);

  memset (caller, 0, sizeof *caller);

  if (token == NULL || *token == '\0')
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED, "authentication required");
      return FALSE;
    }

  hash = hash_token (token);

  if (g_str_has_prefix (token, "us_"))
    {
      Session *session = g_hash_table_lookup (self->sessions, hash);

      if (session != NULL && session->expires_at > usdtpay_engine_now (self))
        {
          principal = g_hash_table_lookup (self->principals, session->principal);
          caller->session_hash = g_steal_pointer (&hash);
        }
    }
  else if (g_str_has_prefix (token, "up_"))
    {
      ApiKey *key = g_hash_table_lookup (self->api_keys, hash);

      if (key != NULL && key->revoked_at == 0)
        {
          principal = g_hash_table_lookup (self->principals, key->principal);
          caller->scopes = key->scopes;
        }
    }

  if (principal == NULL)
    {
      usdtpay_caller_clear (caller);
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED,
                   "the token is unknown, expired or revoked");
      return FALSE;
    }

  caller->principal = principal;
  caller->role = principal->role;

  return TRUE;
}

gboolean
usdtpay_engine_authenticate_customer (UsdtpayEngine *self,
                                      const char    *order_id,
                                      const char    *token,
                                      UsdtpayCaller *caller)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  guint8 given[crypto_auth_hmacsha256_BYTES + 4];
  gsize given_length = 0;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), FALSE);

  memset (caller, 0, sizeof *caller);

  if (order_id == NULL || token == NULL ||
      sodium_base642bin (given, sizeof given, token, strlen (token), NULL, &given_length, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      given_length != sizeof mac)
    return FALSE;

  crypto_auth_hmacsha256 (mac, (const guint8 *)order_id, strlen (order_id), self->secret);
  if (sodium_memcmp (mac, given, sizeof mac) != 0)
    return FALSE;

  caller->role = USDTPAY_ROLE_CUSTOMER;
  caller->order_id = g_strdup (order_id);

  return TRUE;
}

UsdtpayPrincipal *
usdtpay_engine_lookup_principal (UsdtpayEngine *self,
                                 const char    *name)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  return g_hash_table_lookup (self->principals, name);
}

char *
usdtpay_engine_create_session (UsdtpayEngine    *self,
                               UsdtpayPrincipal *principal,
                               UsdtpayChange    *change)
{
  g_autofree char *token = random_token ("us_", 32);
  Session *session = g_new0 (Session, 1);
  char *hash = hash_token (token);

  session->principal = g_strdup (principal->name);
  session->expires_at = usdtpay_engine_now (self) + self->config.session_seconds * G_USEC_PER_SEC;
  g_hash_table_insert (self->sessions, hash, session);
  usdtpay_batch_put_session (change->batch, hash, session->principal, session->expires_at);

  return g_steal_pointer (&token);
}

void
usdtpay_engine_delete_session (UsdtpayEngine *self,
                               const char    *session_hash,
                               UsdtpayChange *change)
{
  if (g_hash_table_remove (self->sessions, session_hash))
    usdtpay_batch_delete_session (change->batch, session_hash);
}

/* Operator commands */

gboolean
usdtpay_engine_add_principal (UsdtpayEngine  *self,
                              const char     *name,
                              UsdtpayRole     role,
                              const char     *password_hash,
                              UsdtpayChange  *change,
                              GError        **error)
{
  UsdtpayPrincipal *principal;

  if (!check_text ("name", name, 64, error))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      {
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                     "a name is letters, digits, '_', '-' and '.'");
        return FALSE;
      }
  if (g_hash_table_contains (self->principals, name))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT, "%s exists already", name);
      return FALSE;
    }

  principal = principal_new (name, role);
  principal->password_hash = g_strdup (password_hash);
  principal->created_at = usdtpay_engine_now (self);
  g_hash_table_insert (self->principals, principal->name, principal);
  if (role == USDTPAY_ROLE_MERCHANT)
    g_ptr_array_add (self->merchants, principal);
  persist_principal (change, principal);

  return TRUE;
}

char *
usdtpay_engine_add_api_key (UsdtpayEngine  *self,
                            const char     *shop,
                            guint           scopes,
                            UsdtpayChange  *change,
                            GError        **error)
{
  UsdtpayPrincipal *principal = g_hash_table_lookup (self->principals, shop);
  g_autofree char *token = NULL;
  g_autofree char *scope_text = NULL;
  ApiKey *key;

  if (principal == NULL || principal->role != USDTPAY_ROLE_SHOP)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no shop %s", shop);
      return NULL;
    }

  token = random_token ("up_", 32);
  key = g_new0 (ApiKey, 1);
  key->hash = hash_token (token);
  key->principal = g_strdup (shop);
  key->prefix = g_strndup (token, 10);
  key->scopes = scopes;
  key->created_at = usdtpay_engine_now (self);
  g_hash_table_insert (self->api_keys, key->hash, key);

  scope_text = usdtpay_scopes_to_string (scopes);
  usdtpay_batch_put_api_key (change->batch, key->hash, key->principal, key->prefix, scope_text,
                             key->created_at, 0);

  return g_steal_pointer (&token);
}

gboolean
usdtpay_engine_revoke_api_key (UsdtpayEngine  *self,
                               const char     *shop,
                               const char     *prefix,
                               UsdtpayChange  *change,
                               GError        **error)
{
  GHashTableIter iter;
  gpointer value;
  guint revoked = 0;

  g_hash_table_iter_init (&iter, self->api_keys);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ApiKey *key = value;
      g_autofree char *scope_text = NULL;

      if (!g_str_equal (key->principal, shop) || key->revoked_at != 0 ||
          (prefix != NULL && !g_str_has_prefix (key->prefix, prefix)))
        continue;

      key->revoked_at = usdtpay_engine_now (self);
      scope_text = usdtpay_scopes_to_string (key->scopes);
      usdtpay_batch_put_api_key (change->batch, key->hash, key->principal, key->prefix, scope_text,
                                 key->created_at, key->revoked_at);
      revoked++;
    }

  if (revoked == 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no active key %s of %s",
                   prefix ? prefix : "", shop);
      return FALSE;
    }

  return TRUE;
}

GPtrArray *
usdtpay_engine_list_api_keys (UsdtpayEngine *self,
                              const char    *shop)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->api_keys);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ApiKey *key = value;
      g_autofree char *scope_text = NULL;
      g_autofree char *created = NULL;

      if (!g_str_equal (key->principal, shop))
        continue;
      scope_text = usdtpay_scopes_to_string (key->scopes);
      created = usdtpay_time_format (key->created_at);
      g_ptr_array_add (lines, g_strdup_printf ("%s…\t%s\t%s\t%s", key->prefix, created,
                                               key->revoked_at ? "revoked" : "active", scope_text));
    }
  g_ptr_array_sort (lines, (GCompareFunc)g_strcmp0);

  return lines;
}

gboolean
usdtpay_engine_credit (UsdtpayEngine  *self,
                       const char     *name,
                       gint64          amount,
                       UsdtpayChange  *change,
                       GError        **error)
{
  UsdtpayPrincipal *merchant = g_hash_table_lookup (self->principals, name);
  g_autofree char *available = NULL;

  if (!self->dev)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN,
                   "credit exists only on a dev database");
      return FALSE;
    }
  if (merchant == NULL || merchant->role != USDTPAY_ROLE_MERCHANT)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no merchant %s", name);
      return FALSE;
    }
  if (amount <= 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT, "the amount must be above zero");
      return FALSE;
    }

  available = merchant_account (name, "available");
  if (!transfer (self, change, "credit", NULL, error, ACCOUNT_CHAIN, -amount, available, amount, NULL))
    return FALSE;
  place_pending_orders (self, change, merchant);

  return TRUE;
}

/* Committing */

typedef struct
{
  UsdtpayEngine     *self;
  UsdtpayChange     *change;
  UsdtpayCommitFunc  func;
  gpointer           user_data;
} Commit;

static void
commit_done_cb (const GError *error,
                gpointer      user_data)
{
  Commit *commit = user_data;
  UsdtpayEngine *self = commit->self;

  if (error == NULL)
    {
      for (guint i = 0; i < commit->change->events->len; i++)
        {
          UsdtpayCommittedEvent *event = g_ptr_array_index (commit->change->events, i);

          self->durable_seq = MAX (self->durable_seq, event->seq);
          g_signal_emit (self, signals[EVENT_COMMITTED], 0, event);
        }
    }

  if (commit->func != NULL)
    commit->func (error, commit->user_data);

  usdtpay_change_free (commit->change);
  g_object_unref (commit->self);
  g_free (commit);
}

void
usdtpay_engine_commit (UsdtpayEngine     *self,
                       UsdtpayChange     *change,
                       UsdtpayCommitFunc  func,
                       gpointer           user_data)
{
  Commit *commit;
  UsdtpayBatch *batch;

  g_return_if_fail (USDTPAY_IS_ENGINE (self));
  g_return_if_fail (change != NULL);

  commit = g_new0 (Commit, 1);
  commit->self = g_object_ref (self);
  commit->change = change;
  commit->func = func;
  commit->user_data = user_data;

  /* The store takes the batch; the events stay for publishing. */
  batch = g_steal_pointer (&change->batch);
  change->batch = usdtpay_batch_new ();
  usdtpay_store_submit (self->store, batch, commit_done_cb, commit);
}

/* Loading */

static void
load_snapshot (UsdtpayEngine        *self,
               UsdtpayStoreSnapshot *snapshot)
{
  const char *secret_hex = g_hash_table_lookup (snapshot->meta, "server_secret");
  const char *offset = g_hash_table_lookup (snapshot->meta, "clock_offset");
  GHashTableIter iter;
  gpointer key, value;
  gint64 now;

  self->dev = g_strcmp0 (g_hash_table_lookup (snapshot->meta, "dev"), "1") == 0;
  if (secret_hex != NULL)
    sodium_hex2bin (self->secret, sizeof self->secret, secret_hex, strlen (secret_hex), NULL, NULL, NULL);
  if (offset != NULL && self->dev)
    self->clock_offset = g_ascii_strtoll (offset, NULL, 10);
  now = usdtpay_engine_now (self);

  for (guint i = 0; i < snapshot->principals->len; i++)
    {
      UsdtpayPrincipalRecord *record = g_ptr_array_index (snapshot->principals, i);
      UsdtpayPrincipal *principal = principal_new (record->name, record->role);

      principal->password_hash = g_strdup (record->password_hash);
      principal->suspended = record->suspended;
      principal->last_matched_at = record->last_matched_at;
      principal->created_at = record->created_at;
      principal_load_settings (principal, record->settings);
      /* Nobody is connected yet: the grace period starts now. */
      principal->disconnected_at = now;
      g_hash_table_insert (self->principals, principal->name, principal);
      if (principal->role == USDTPAY_ROLE_MERCHANT)
        g_ptr_array_add (self->merchants, principal);
    }

  for (guint i = 0; i < snapshot->api_keys->len; i++)
    {
      UsdtpayOp *op = g_ptr_array_index (snapshot->api_keys, i);
      ApiKey *api_key = g_new0 (ApiKey, 1);

      api_key->hash = g_strdup (op->api_key.hash);
      api_key->principal = g_strdup (op->api_key.principal);
      api_key->prefix = g_strdup (op->api_key.prefix);
      api_key->scopes = usdtpay_scopes_parse (op->api_key.scopes);
      api_key->created_at = op->api_key.created_at;
      api_key->revoked_at = op->api_key.revoked_at;
      g_hash_table_insert (self->api_keys, api_key->hash, api_key);
    }

  for (guint i = 0; i < snapshot->sessions->len; i++)
    {
      UsdtpayOp *op = g_ptr_array_index (snapshot->sessions, i);
      Session *session = g_new0 (Session, 1);

      session->principal = g_strdup (op->session.principal);
      session->expires_at = op->session.expires_at;
      g_hash_table_insert (self->sessions, g_strdup (op->session.hash), session);
    }

  for (guint i = 0; i < snapshot->orders->len; i++)
    {
      UsdtpayOp *op = g_ptr_array_index (snapshot->orders, i);
      EngineOrder *eo = engine_order_add (self, usdtpay_order_ref (op->order.order), op->order.held);
      UsdtpayPrincipal *merchant;

      if (eo->order->state == USDTPAY_ORDER_PENDING)
        g_queue_push_tail (&self->pending, eo);
      if (eo->order->merchant == NULL ||
          (merchant = g_hash_table_lookup (self->principals, eo->order->merchant)) == NULL)
        continue;
      merchant->last_matched_at = MAX (merchant->last_matched_at, eo->order->matched_at);
      if (usdtpay_order_state_is_open (eo->order->state))
        merchant_order_opened (merchant);
    }

  g_hash_table_iter_init (&iter, snapshot->balances);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (self->balances, g_strdup (key), g_memdup2 (value, sizeof (gint64)));

  self->loaded_idempotency = g_steal_pointer (&snapshot->idempotency);
  self->head_seq = snapshot->head_seq;
  self->durable_seq = snapshot->head_seq;
  self->last_transfer_id = snapshot->last_transfer_id;

  self->webhooks = usdtpay_webhooks_new (self, snapshot);
}

UsdtpayEngine *
usdtpay_engine_new (UsdtpayStore              *store,
                    const UsdtpayEngineConfig *config,
                    GError                   **error)
{
  g_autoptr(UsdtpayEngine) self = NULL;
  UsdtpayStoreSnapshot *snapshot;

  g_return_val_if_fail (USDTPAY_IS_STORE (store), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_ENGINE, NULL);
  self->store = g_object_ref (store);
  self->config = *config;

  if (!(snapshot = usdtpay_store_load (store, g_get_real_time (), error)))
    return NULL;
  load_snapshot (self, snapshot);
  self->chain_book = usdtpay_chain_book_new (self, snapshot, error);
  usdtpay_store_snapshot_free (snapshot);
  if (self->chain_book == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

GPtrArray *
usdtpay_engine_take_loaded_idempotency (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  return g_steal_pointer (&self->loaded_idempotency);
}

UsdtpayWebhooks *
usdtpay_engine_get_webhooks (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  return self->webhooks;
}

UsdtpayStore *
usdtpay_engine_get_store (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  return self->store;
}

gboolean
usdtpay_engine_is_dev (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), FALSE);

  return self->dev;
}

gint64
usdtpay_engine_get_head_seq (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), 0);

  return self->head_seq;
}

gint64
usdtpay_engine_get_durable_seq (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), 0);

  return self->durable_seq;
}

void
usdtpay_engine_set_base_url (UsdtpayEngine *self,
                             const char    *base_url)
{
  g_return_if_fail (USDTPAY_IS_ENGINE (self));

  g_free (self->base_url);
  self->base_url = g_strdup (base_url);
}

void
usdtpay_engine_set_receipts (UsdtpayEngine   *self,
                             UsdtpayReceipts *receipts)
{
  g_return_if_fail (USDTPAY_IS_ENGINE (self));

  g_set_object (&self->receipts, receipts);
}

UsdtpayReceipts *
usdtpay_engine_get_receipts (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  return self->receipts;
}

static void
usdtpay_engine_finalize (GObject *object)
{
  UsdtpayEngine *self = (UsdtpayEngine *)object;

  g_clear_pointer (&self->external_ids, g_hash_table_unref);
  g_clear_pointer (&self->open_orders, g_hash_table_unref);
  g_queue_clear (&self->pending);
  g_clear_pointer (&self->merchants, g_ptr_array_unref);
  g_clear_pointer (&self->orders, g_hash_table_unref);
  g_queue_clear (&self->rendered);
  g_clear_pointer (&self->order_list, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->api_keys, g_hash_table_unref);
  g_clear_pointer (&self->principals, g_hash_table_unref);
  g_clear_pointer (&self->balances, g_hash_table_unref);
  g_clear_pointer (&self->loaded_idempotency, g_ptr_array_unref);
  g_clear_object (&self->webhooks);
  g_clear_object (&self->chain_book);
  g_clear_object (&self->store);
  g_clear_object (&self->receipts);
  g_free (self->base_url);
  sodium_memzero (self->secret, sizeof self->secret);

  G_OBJECT_CLASS (usdtpay_engine_parent_class)->finalize (object);
}

static void
usdtpay_engine_class_init (UsdtpayEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = usdtpay_engine_finalize;

  /**
   * UsdtpayEngine::event-committed:
   * @event: (type gpointer): the UsdtpayCommittedEvent, borrowed
   *
   * Emitted in seq order once an event is durable.
   */
  signals[EVENT_COMMITTED] =
    g_signal_new ("event-committed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  g_cclosure_marshal_VOID__POINTER, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
usdtpay_engine_init (UsdtpayEngine *self)
{
  self->principals = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, principal_free);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, session_free);
  self->api_keys = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, api_key_free);
  self->orders = g_hash_table_new (g_str_hash, g_str_equal);
  self->order_list = g_ptr_array_new_with_free_func (engine_order_free);
  self->external_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->open_orders = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->pending);
  self->merchants = g_ptr_array_new ();
  self->balances = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* The chain (usdtpay-chain-book.c): its records live beside the engine's
 * and change through the same batches. */

UsdtpayChainBook *
usdtpay_engine_get_chain_book (UsdtpayEngine *self)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), NULL);

  return self->chain_book;
}

UsdtpayBatch *
usdtpay_change_get_batch (UsdtpayChange *change)
{
  g_return_val_if_fail (change != NULL, NULL);

  return change->batch;
}

gint64
usdtpay_engine_move (UsdtpayEngine  *self,
                     UsdtpayChange  *change,
                     const char     *kind,
                     const char     *from,
                     const char     *to,
                     gint64          amount,
                     GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (self), 0);
  g_return_val_if_fail (amount > 0, 0);

  if (!transfer (self, change, kind, NULL, error, from, -amount, to, amount, NULL))
    return 0;

  return self->last_transfer_id;
}

void
usdtpay_engine_emit (UsdtpayEngine      *self,
                     UsdtpayChange      *change,
                     UsdtpayEventType    type,
                     JsonNode           *object,
                     const char * const *audience)
{
  g_return_if_fail (USDTPAY_IS_ENGINE (self));

  emit_event (self, change, type, NULL, object, audience);
}

/* Retention (usdtpay-retention.c): forgets the sessions that expired
 * before @before, as the store deletes them. */
void
usdtpay_engine_forget_expired_sessions (UsdtpayEngine *self,
                                        gint64         before)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (USDTPAY_IS_ENGINE (self));

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Session *)value)->expires_at < before)
      g_hash_table_iter_remove (&iter);
}
