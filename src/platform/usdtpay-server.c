/* usdtpay-server.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-server"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sodium.h>

#include "usdtpay-auth.h"
#include "usdtpay-chain-api.h"
#include "usdtpay-feed.h"
#include "usdtpay-openapi.h"
#include "usdtpay-pay-page.h"
#include "usdtpay-request-guard.h"
#include "usdtpay-server.h"
#include "usdtpay-webhooks.h"

#define TICK_MSEC            250
#define IDEMPOTENCY_KEEP     (G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC)
#define LIST_LIMIT_DEFAULT   50
#define LIST_LIMIT_MAX       200

/* One Idempotency-Key in memory: an index entry only. Its answer is kept
 * on disk (written with the order) and read back when a retry asks, so
 * memory does not grow by an answer for every order of the last 24 h. */
typedef struct
{
  char       body_hash[65];  /* hex SHA-256 of the first request's body */
  gboolean   durable;        /* FALSE while the first request is in flight */
  gint64     created_at;
  GPtrArray *waiters;        /* Request* waiting for the first one's answer */
} Idem;

struct _UsdtpayServer
{
  GObject          parent_instance;

  UsdtpayEngine   *engine;
  UsdtpayFeed     *feed;
  UsdtpayThrottle *throttle;
  SoupServer      *soup;
  GHashTable      *idempotency;   /* "shop\x1fkey" → Idem* */
  UsdtpayRequestGuard *guard;     /* request ids and the rate limit */

  gboolean         shutting_down;
  guint            in_flight;
  GSourceFunc      drained;
  gpointer         drained_data;
  guint            tick_id;
  guint            n_ticks;
  gboolean         tick_in_flight;
  /* Verified against when the user is unknown, so that costs as much as a
   * wrong password and does not tell which names exist. */
  char            *dummy_hash;
};

G_DEFINE_FINAL_TYPE (UsdtpayServer, usdtpay_server, G_TYPE_OBJECT)

typedef struct
{
  UsdtpayServer     *self;
  SoupServerMessage *msg;
  UsdtpayCaller      caller;
  char              *idem_key;
  guint              status;
  GBytes            *response;
} Request;

static void
idem_free (gpointer data)
{
  Idem *idem = data;

  g_assert (idem->waiters == NULL);

  g_free (idem);
}

/* Answers */

/* An order as @caller may see it, appended to @out: the owning shop gets
 * pay_url, the customer the merchant's payment details. Written straight to
 * text, the platform's hottest path. */
static void
append_order_for (UsdtpayServer      *self,
                  UsdtpayCaller      *caller,
                  const UsdtpayOrder *order,
                  GString            *out)
{
  const UsdtpayMethod *method;

  usdtpay_engine_append_order (self->engine, order, out);
  if (caller->role == USDTPAY_ROLE_SHOP)
    {
      g_autofree char *pay_url = usdtpay_engine_pay_url (self->engine, order);

      if (pay_url != NULL)
        usdtpay_json_object_add_string (out, "pay_url", pay_url);
    }

  if (caller->role != USDTPAY_ROLE_CUSTOMER ||
      !(order->state == USDTPAY_ORDER_MATCHED || order->state == USDTPAY_ORDER_PAID) ||
      !(method = usdtpay_engine_order_method (self->engine, order)))
    return;

  g_string_truncate (out, out->len - 1);
  g_string_append (out, ",\"payment_details\":{\"method\":");
  usdtpay_json_append_string (out, method->id, -1);
  g_string_append (out, ",\"account_name\":");
  usdtpay_json_append_string (out, method->account_name, -1);
  g_string_append (out, ",\"account_number\":");
  usdtpay_json_append_string (out, method->account_number, -1);
  if (method->qr != NULL)
    {
      g_string_append (out, ",\"qr\":");
      usdtpay_json_append_string (out, method->qr, -1);
    }
  g_string_append (out, "}}");
}

static GBytes *
order_bytes_for (UsdtpayServer      *self,
                 UsdtpayCaller      *caller,
                 const UsdtpayOrder *order)
{
  GString *out = g_string_sized_new (768);

  append_order_for (self, caller, order, out);

  return g_string_free_to_bytes (out);
}

/* Requests that wait for the store */

static Request *
request_new (UsdtpayServer     *self,
             SoupServerMessage *msg)
{
  Request *req = g_new0 (Request, 1);

  req->self = g_object_ref (self);
  req->msg = g_object_ref (msg);
  self->in_flight++;
  soup_server_message_pause (msg);

  return req;
}

static void
request_free (Request *req)
{
  UsdtpayServer *self = req->self;

  usdtpay_caller_clear (&req->caller);
  g_clear_pointer (&req->response, g_bytes_unref);
  g_free (req->idem_key);
  g_object_unref (req->msg);

  if (--self->in_flight == 0 && self->shutting_down && self->drained != NULL)
    {
      GSourceFunc drained = g_steal_pointer (&self->drained);

      g_idle_add (drained, self->drained_data);
    }
  g_object_unref (self);
  g_free (req);
}

static void
request_answer (Request *req)
{
  usdtpay_http_respond_bytes (req->msg, req->status, req->response);
  soup_server_message_unpause (req->msg);
}

static void
answer_idempotency_waiters (UsdtpayServer *self,
                            Request       *req,
                            gboolean       keep)
{
  Idem *idem = g_hash_table_lookup (self->idempotency, req->idem_key);
  g_autoptr(GPtrArray) waiters = NULL;

  if (idem == NULL)
    return;

  waiters = g_steal_pointer (&idem->waiters);
  if (keep)
    idem->durable = TRUE;
  else
    g_hash_table_remove (self->idempotency, req->idem_key);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      Request *waiter = g_ptr_array_index (waiters, i);

      waiter->status = req->status;
      waiter->response = req->response ? g_bytes_ref (req->response) : NULL;
      soup_message_headers_replace (soup_server_message_get_response_headers (waiter->msg),
                                    "Idempotent-Replayed", "true");
      request_answer (waiter);
      request_free (waiter);
    }
}

static void
request_committed_cb (const GError *error,
                      gpointer      user_data)
{
  Request *req = user_data;

  if (error != NULL)
    {
      g_autoptr(GError) unavailable =
        g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE, "the store could not write: %s",
                     error->message);

      g_clear_pointer (&req->response, g_bytes_unref);
      req->response = usdtpay_http_error_bytes (unavailable);
      req->status = SOUP_STATUS_SERVICE_UNAVAILABLE;
    }

  if (req->idem_key != NULL)
    answer_idempotency_waiters (req->self, req, error == NULL);

  request_answer (req);
  request_free (req);
}

/* Sends @change to the store and answers @status/@body once it is durable.
 * Even an answer that changed nothing waits: it may rest on state that is
 * not yet durable. */
static void
commit_and_answer (Request       *req,
                   UsdtpayChange *change,
                   guint          status,
                   GBytes        *body)
{
  req->status = status;
  req->response = body;
  usdtpay_engine_commit (req->self->engine, change, request_committed_cb, req);
}

static void
commit_error (Request      *req,
              const GError *error)
{
  commit_and_answer (req, usdtpay_change_new (), usdtpay_error_to_http_status (error),
                     usdtpay_http_error_bytes (error));
}

/* Parsing requests */

static const char *
bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;

  return header + 7;
}

static gboolean
is_platform_token (const char *token)
{
  return g_str_has_prefix (token, "us_") || g_str_has_prefix (token, "up_");
}

static char *
body_sha256_hex (SoupServerMessage *msg)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  guint8 digest[crypto_hash_sha256_BYTES];
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  crypto_hash_sha256 (digest, data ? data : (const guint8 *)"", length);
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);

  return g_strdup (hex);
}

static gboolean
authenticate (UsdtpayServer     *self,
              SoupServerMessage *msg,
              UsdtpayCaller     *caller,
              GError           **error)
{
  return usdtpay_engine_authenticate (self->engine, bearer_token (msg), caller, error);
}

static gboolean
require_role (UsdtpayCaller  *caller,
              UsdtpayRole     role,
              GError        **error)
{
  if (caller->role != role)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only a %s may do that",
                   usdtpay_role_to_string (role));
      return FALSE;
    }

  return TRUE;
}

static gboolean
require_scope (UsdtpayCaller  *caller,
               guint           scope,
               const char     *name,
               GError        **error)
{
  if (caller->role == USDTPAY_ROLE_SHOP && !(caller->scopes & scope))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the key lacks the %s scope", name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
is_loopback (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return G_IS_INET_SOCKET_ADDRESS (address) &&
         g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

/* Sessions */

typedef struct
{
  Request *req;
  char    *username;
  char    *address;
} Login;

static void
login_free (Login *login)
{
  g_free (login->username);
  g_free (login->address);
  g_free (login);
}

static void
login_verified_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Login *login = user_data;
  Request *req = login->req;
  UsdtpayServer *self = req->self;
  g_autofree char *user_key = g_strconcat ("user:", login->username, NULL);
  g_autofree char *addr_key = g_strconcat ("addr:", login->address, NULL);
  UsdtpayPrincipal *principal = usdtpay_engine_lookup_principal (self->engine, login->username);
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *token = NULL;
  gint64 now = g_get_real_time ();

  if (!usdtpay_password_verify_finish (result, NULL) || principal == NULL ||
      (principal->role != USDTPAY_ROLE_MERCHANT && principal->role != USDTPAY_ROLE_SUPPORT))
    {
      g_autoptr(GError) error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED,
                                                     "wrong username or password");

      usdtpay_throttle_failed (self->throttle, user_key, now);
      usdtpay_throttle_failed (self->throttle, addr_key, now);
      commit_error (req, error);
      login_free (login);
      return;
    }

  usdtpay_throttle_reset (self->throttle, user_key);
  token = usdtpay_engine_create_session (self->engine, principal, change);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, usdtpay_role_to_string (principal->role));
  json_builder_set_member_name (builder, "principal");
  json_builder_add_string_value (builder, principal->name);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_OK, usdtpay_http_node_bytes (node));
  login_free (login);
}

static void
handle_login (UsdtpayServer     *self,
              SoupServerMessage *msg)
{
  static const char * const allowed[] = { "username", "password", NULL };
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user_key = NULL;
  g_autofree char *addr_key = NULL;
  const char *username = NULL, *password = NULL;
  const char *address = soup_server_message_get_remote_host (msg);
  UsdtpayPrincipal *principal;
  guint retry_user = 0, retry_addr = 0;
  gint64 now = g_get_real_time ();
  Login *login;

  if (!usdtpay_http_parse_body (msg, FALSE, &body, &error) ||
      !usdtpay_json_get_string (body, "username", FALSE, &username, &error) ||
      !usdtpay_json_get_string (body, "password", FALSE, &password, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  if (!usdtpay_json_check_members (body, allowed, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  user_key = g_strconcat ("user:", username, NULL);
  addr_key = g_strconcat ("addr:", address ? address : "?", NULL);
  if (!usdtpay_throttle_allow (self->throttle, user_key, now, &retry_user) ||
      !usdtpay_throttle_allow (self->throttle, addr_key, now, &retry_addr))
    {
      g_autofree char *retry = g_strdup_printf ("%u", MAX (retry_user, retry_addr));

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", retry);
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_RATE_LIMITED, "too many failed logins; try again later");
      return;
    }

  principal = usdtpay_engine_lookup_principal (self->engine, username);
  login = g_new0 (Login, 1);
  login->req = request_new (self, msg);
  login->username = g_strdup (username);
  login->address = g_strdup (address ? address : "?");
  usdtpay_password_verify_async (principal && principal->password_hash ? principal->password_hash
                                                                       : self->dummy_hash,
                                 password, NULL, login_verified_cb, login);
}

static void
handle_logout (UsdtpayServer     *self,
               SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayChange) change = NULL;
  Request *req;

  req = request_new (self, msg);
  if (!authenticate (self, msg, &req->caller, &error))
    {
      commit_error (req, error);
      return;
    }
  if (req->caller.session_hash == NULL)
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only a session can be ended");
      commit_error (req, error);
      return;
    }

  change = usdtpay_change_new ();
  usdtpay_engine_delete_session (self->engine, req->caller.session_hash, change);
  commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_NO_CONTENT, NULL);
}

/* Orders */

static char *
idempotency_map_key (const char *shop,
                     const char *key)
{
  return g_strconcat (shop, "\x1f", key, NULL);
}

static void
create_order_now (UsdtpayServer *self,
                  Request       *req,
                  const char    *key,
                  const char    *body_hash)
{
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  UsdtpayOrder *order = NULL;
  GBytes *response;
  guint status;

  if (usdtpay_http_parse_body (req->msg, FALSE, &body, &error))
    order = usdtpay_engine_create_order (self->engine, &req->caller, body, change, &error);

  if (order != NULL)
    {
      response = order_bytes_for (self, &req->caller, order);
      status = SOUP_STATUS_CREATED;
    }
  else
    {
      response = usdtpay_http_error_bytes (error);
      status = usdtpay_error_to_http_status (error);
    }

  /* The answer is kept with the order, in the same transaction, so a retry
   * after a crash finds both or neither. */
  if (key != NULL && status < 500)
    usdtpay_change_put_idempotency (change, req->caller.principal->name, key, body_hash, status,
                                    response, usdtpay_engine_now (self->engine));

  commit_and_answer (req, g_steal_pointer (&change), status, response);
}

static void
replay_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Request *req = user_data;
  g_autoptr(GError) error = NULL;
  guint status = 0;

  req->response = usdtpay_store_read_idempotency_finish (USDTPAY_STORE (object), result, &status, &error);
  if (req->response == NULL)
    {
      g_warning ("Could not read a kept answer: %s", error->message);
      req->response = usdtpay_http_error_bytes (error);
      req->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
  else
    {
      req->status = status;
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Idempotent-Replayed", "true");
    }

  request_answer (req);
  request_free (req);
}

static void
handle_create_order (UsdtpayServer     *self,
                     SoupServerMessage *msg)
{
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "Idempotency-Key");
  g_autoptr(GError) error = NULL;
  g_autofree char *body_hash = NULL;
  g_autofree char *map_key = NULL;
  Request *req = request_new (self, msg);
  Idem *idem;

  if (!authenticate (self, msg, &req->caller, &error) ||
      !require_role (&req->caller, USDTPAY_ROLE_SHOP, &error) ||
      !require_scope (&req->caller, USDTPAY_SCOPE_ORDERS_WRITE, "orders:write", &error))
    {
      commit_error (req, error);
      return;
    }

  if (key == NULL)
    {
      create_order_now (self, req, NULL, NULL);
      return;
    }

  if (*key == '\0' || strlen (key) > 255)
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "Idempotency-Key must be 1 to 255 characters");
      commit_error (req, error);
      return;
    }

  body_hash = body_sha256_hex (msg);
  map_key = idempotency_map_key (req->caller.principal->name, key);
  idem = g_hash_table_lookup (self->idempotency, map_key);
  /* Kept 24 h to the microsecond, not to the next sweep: an older key is
   * forgotten, and its row goes from the store an hour later
   * (usdtpay-retention.c). */
  if (idem != NULL && idem->durable && idem->created_at < usdtpay_engine_now (self->engine) - IDEMPOTENCY_KEEP)
    {
      g_hash_table_remove (self->idempotency, map_key);
      idem = NULL;
    }

  if (idem != NULL && !g_str_equal (idem->body_hash, body_hash))
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_IDEMPOTENCY_MISMATCH,
                   "this Idempotency-Key was used with another body");
      commit_error (req, error);
      return;
    }

  if (idem != NULL && idem->durable)
    {
      usdtpay_store_read_idempotency_async (usdtpay_engine_get_store (self->engine),
                                            req->caller.principal->name, key, NULL,
                                            replay_read_cb, req);
      return;
    }

  if (idem != NULL)
    {
      /* The first request with this key is still being written: this one
       * gets its outcome. */
      if (idem->waiters == NULL)
        idem->waiters = g_ptr_array_new ();
      g_ptr_array_add (idem->waiters, req);
      return;
    }

  idem = g_new0 (Idem, 1);
  g_strlcpy (idem->body_hash, body_hash, sizeof idem->body_hash);
  idem->created_at = usdtpay_engine_now (self->engine);
  g_hash_table_insert (self->idempotency, g_strdup (map_key), idem);
  req->idem_key = g_steal_pointer (&map_key);

  create_order_now (self, req, key, body_hash);
}

/* Authenticates a request about one order: a platform token, or the
 * customer's capability for exactly that order. */
static gboolean
authenticate_for_order (UsdtpayServer     *self,
                        SoupServerMessage *msg,
                        const char        *order_id,
                        UsdtpayCaller     *caller,
                        GError           **error)
{
  const char *token = bearer_token (msg);

  /* A customer's token is base64url and may, rarely, look like ours. */
  if (token != NULL && is_platform_token (token) && authenticate (self, msg, caller, NULL))
    return TRUE;
  if (token != NULL && usdtpay_engine_authenticate_customer (self->engine, order_id, token, caller))
    return TRUE;

  return authenticate (self, msg, caller, error);
}

static void
handle_get_order (UsdtpayServer     *self,
                  SoupServerMessage *msg,
                  const char        *order_id)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  UsdtpayOrder *order;

  if (!authenticate_for_order (self, msg, order_id, &caller, &error) ||
      !require_scope (&caller, USDTPAY_SCOPE_ORDERS_READ, "orders:read", &error) ||
      !(order = usdtpay_engine_get_order (self->engine, &caller, order_id, &error)))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  body = order_bytes_for (self, &caller, order);
  usdtpay_http_respond_bytes (msg, SOUP_STATUS_OK, body);
}

static void
handle_list_orders (UsdtpayServer     *self,
                    SoupServerMessage *msg,
                    GHashTable        *query)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GBytes) body = NULL;
  GString *out = NULL;
  g_autofree char *next = NULL;
  const char *state_text = query ? g_hash_table_lookup (query, "state") : NULL;
  const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  const char *after = query ? g_hash_table_lookup (query, "after") : NULL;
  const char *from_text = query ? g_hash_table_lookup (query, "from") : NULL;
  const char *to_text = query ? g_hash_table_lookup (query, "to") : NULL;
  UsdtpayOrderFilter filter = { query ? g_hash_table_lookup (query, "merchant") : NULL, 0, 0 };
  UsdtpayOrderState state = USDTPAY_ORDER_PENDING;
  guint64 limit = LIST_LIMIT_DEFAULT;

  if (!authenticate (self, msg, &caller, &error) ||
      !require_scope (&caller, USDTPAY_SCOPE_ORDERS_READ, "orders:read", &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  if (state_text != NULL && !usdtpay_order_state_from_string (state_text, &state))
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, "state is not an order state");
      return;
    }
  if (limit_text != NULL &&
      !g_ascii_string_to_unsigned (limit_text, 10, 1, LIST_LIMIT_MAX, &limit, NULL))
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, "limit must be from 1 to 200");
      return;
    }
  if (filter.merchant != NULL && caller.role != USDTPAY_ROLE_SUPPORT)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_FORBIDDEN, "only support may filter by merchant");
      return;
    }
  if ((from_text != NULL && (!usdtpay_time_parse (from_text, &filter.from, NULL) || filter.from == 0)) ||
      (to_text != NULL && (!usdtpay_time_parse (to_text, &filter.to, NULL) || filter.to == 0)))
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, "from and to are RFC 3339 times");
      return;
    }

  orders = usdtpay_engine_list_orders_filtered (self->engine, &caller, state_text != NULL, state, &filter,
                                                after, (guint)limit, &next, &error);
  if (orders == NULL)
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  out = g_string_sized_new (256 + 768 * orders->len);
  g_string_append (out, "{\"items\":[");
  for (guint i = 0; i < orders->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_order_for (self, &caller, g_ptr_array_index (orders, i), out);
    }
  g_string_append (out, "],\"next\":");
  usdtpay_json_append_string (out, next, -1);
  g_string_append_printf (out, ",\"seq\":%" G_GINT64_FORMAT "}",
                          usdtpay_engine_get_durable_seq (self->engine));
  body = g_string_free_to_bytes (g_steal_pointer (&out));
  usdtpay_http_respond_bytes (msg, SOUP_STATUS_OK, body);
}

static gboolean
action_from_path (const char         *name,
                  UsdtpayOrderAction *action)
{
  static const struct {
    const char         *name;
    UsdtpayOrderAction  action;
  } actions[] = {
    { "accept", USDTPAY_ACTION_ACCEPT },
    { "paid", USDTPAY_ACTION_PAY },
    { "confirm", USDTPAY_ACTION_CONFIRM },
    { "cancel", USDTPAY_ACTION_CANCEL },
    { "dispute", USDTPAY_ACTION_DISPUTE },
    { "resolve", USDTPAY_ACTION_RESOLVE_COMPLETE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_str_equal (name, actions[i].name))
      {
        *action = actions[i].action;
        return TRUE;
      }

  return FALSE;
}

static void
handle_order_action (UsdtpayServer      *self,
                     SoupServerMessage  *msg,
                     const char         *order_id,
                     UsdtpayOrderAction  action)
{
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  Request *req = request_new (self, msg);
  UsdtpayOrder *order;
  gboolean noop = FALSE;

  if (!authenticate_for_order (self, msg, order_id, &req->caller, &error))
    {
      commit_error (req, error);
      return;
    }
  if (!usdtpay_http_parse_body (msg, TRUE, &body, &error) ||
      !(order = usdtpay_engine_order_action (self->engine, &req->caller, order_id, action, body, change,
                                             &noop, &error)))
    {
      commit_error (req, error);
      return;
    }

  commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_OK, order_bytes_for (self, &req->caller, order));
}

/* Merchants */

static void
handle_merchant_me (UsdtpayServer     *self,
                    SoupServerMessage *msg,
                    gboolean           patch)
{
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  Request *req = request_new (self, msg);

  if (!authenticate (self, msg, &req->caller, &error) ||
      !require_role (&req->caller, USDTPAY_ROLE_MERCHANT, &error) ||
      (patch && (!usdtpay_http_parse_body (msg, FALSE, &body, &error) ||
                 !usdtpay_engine_update_merchant (self->engine, req->caller.principal, body, change,
                                                  &error))))
    {
      commit_error (req, error);
      return;
    }

  node = usdtpay_engine_merchant_to_json (self->engine, req->caller.principal);
  commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_OK, usdtpay_http_node_bytes (node));
}

static void
handle_list_merchants (UsdtpayServer     *self,
                       SoupServerMessage *msg)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) merchants = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!authenticate (self, msg, &caller, &error) ||
      !require_role (&caller, USDTPAY_ROLE_SUPPORT, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  merchants = usdtpay_engine_list_merchants (self->engine);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < merchants->len; i++)
    json_builder_add_value (builder, usdtpay_engine_merchant_to_json (self->engine,
                                                                      g_ptr_array_index (merchants, i)));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, usdtpay_engine_get_durable_seq (self->engine));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_suspend (UsdtpayServer     *self,
                SoupServerMessage *msg,
                const char        *name,
                gboolean           suspended)
{
  static const char * const allowed[] = { "reason", NULL };
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  Request *req = request_new (self, msg);
  const char *reason = NULL;

  if (!authenticate (self, msg, &req->caller, &error) ||
      !require_role (&req->caller, USDTPAY_ROLE_SUPPORT, &error) ||
      !usdtpay_http_parse_body (msg, FALSE, &body, &error) ||
      !usdtpay_json_get_string (body, "reason", FALSE, &reason, &error))
    {
      commit_error (req, error);
      return;
    }
  if (!usdtpay_json_check_members (body, allowed, &error))
    {
      commit_error (req, error);
      return;
    }
  if (!usdtpay_engine_set_suspended (self->engine, &req->caller, name, suspended, reason, change, &error))
    {
      commit_error (req, error);
      return;
    }

  node = usdtpay_engine_merchant_to_json (self->engine, usdtpay_engine_lookup_principal (self->engine, name));
  commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_OK, usdtpay_http_node_bytes (node));
}

/* Ledger, health, dev clock */

static void
handle_balances (UsdtpayServer     *self,
                 SoupServerMessage *msg)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!authenticate (self, msg, &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  node = usdtpay_engine_balances_to_json (self->engine, &caller);
  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_health (UsdtpayServer     *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, self->shutting_down ? "stopping" : "ok");
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, usdtpay_engine_get_durable_seq (self->engine));
  json_builder_set_member_name (builder, "dev");
  json_builder_add_boolean_value (builder, usdtpay_engine_is_dev (self->engine));
  json_builder_set_member_name (builder, "feed_connections");
  json_builder_add_int_value (builder, usdtpay_feed_get_n_connections (self->feed));
  usdtpay_chain_api_add_health (self->engine, builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static GBytes *
clock_bytes (UsdtpayServer *self)
{
  g_autofree char *now = usdtpay_time_format (usdtpay_engine_now (self->engine));
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "now");
  json_builder_add_string_value (builder, now);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  return usdtpay_http_node_bytes (node);
}

static void
handle_dev_clock (UsdtpayServer     *self,
                  SoupServerMessage *msg,
                  gboolean           advance)
{
  static const char * const allowed[] = { "advance_seconds", NULL };
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  Request *req = request_new (self, msg);
  gint64 seconds = 0;

  if (!usdtpay_engine_is_dev (self->engine) || !is_loopback (msg))
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no such resource");
      commit_error (req, error);
      return;
    }
  if (!advance)
    {
      commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_OK, clock_bytes (self));
      return;
    }
  if (!usdtpay_http_parse_body (msg, FALSE, &body, &error) ||
      !usdtpay_json_get_int (body, "advance_seconds", FALSE, &seconds, &error))
    {
      commit_error (req, error);
      return;
    }
  if (!usdtpay_json_check_members (body, allowed, &error))
    {
      commit_error (req, error);
      return;
    }
  if (!usdtpay_engine_advance_clock (self->engine, seconds, change, &error))
    {
      commit_error (req, error);
      return;
    }

  commit_and_answer (req, g_steal_pointer (&change), SOUP_STATUS_OK, clock_bytes (self));
}

/* Routing */

/* Receipts, the platform's keys and an order's history (docs/receipts.md) */

static void
handle_platform_keys (UsdtpayServer     *self,
                      SoupServerMessage *msg)
{
  UsdtpayReceipts *receipts = usdtpay_engine_get_receipts (self->engine);
  g_autoptr(GBytes) body = NULL;

  if (receipts == NULL)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_UNAVAILABLE, "the platform has no signing key");
      return;
    }

  body = usdtpay_receipts_get_key_set (receipts);
  usdtpay_http_respond_bytes (msg, SOUP_STATUS_OK, body);
}

static void
receipt_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Request *req = user_data;
  UsdtpayReceipts *receipts = USDTPAY_RECEIPTS (object);
  g_autoptr(GError) error = NULL;
  GBytes *body;

  if (g_task_get_source_tag (G_TASK (result)) == usdtpay_receipts_lookup_async)
    body = usdtpay_receipts_lookup_finish (receipts, result, &error);
  else
    body = usdtpay_receipts_events_finish (receipts, result, &error);

  if (body != NULL)
    {
      req->status = SOUP_STATUS_OK;
      req->response = body;
    }
  else
    {
      req->status = usdtpay_error_to_http_status (error);
      req->response = usdtpay_http_error_bytes (error);
    }
  request_answer (req);
  request_free (req);
}

/* GET /v1/receipts/{id} and GET /v1/orders/{id}/events: for whoever may
 * see the order with a platform token, read from the database in a worker. */
static void
handle_order_record (UsdtpayServer     *self,
                     SoupServerMessage *msg,
                     const char        *order_id,
                     gboolean           events)
{
  UsdtpayReceipts *receipts = usdtpay_engine_get_receipts (self->engine);
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  Request *req;

  if (!authenticate (self, msg, &caller, &error) ||
      !require_scope (&caller, USDTPAY_SCOPE_ORDERS_READ, "orders:read", &error) ||
      !usdtpay_engine_get_order (self->engine, &caller, order_id, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  if (receipts == NULL)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_UNAVAILABLE, "the platform has no signing key");
      return;
    }

  req = request_new (self, msg);
  if (events)
    usdtpay_receipts_events_async (receipts, order_id,
                                   caller.role == USDTPAY_ROLE_SUPPORT ? NULL : caller.principal->name,
                                   NULL, receipt_read_cb, req);
  else
    usdtpay_receipts_lookup_async (receipts, order_id, NULL, receipt_read_cb, req);
}

static void
route_orders (UsdtpayServer     *self,
              SoupServerMessage *msg,
              const char        *method,
              char             **parts,
              guint              n_parts,
              GHashTable        *query)
{
  UsdtpayOrderAction action;

  /* parts: "orders" [id [action]] */
  if (n_parts == 1)
    {
      if (g_str_equal (method, "POST"))
        handle_create_order (self, msg);
      else if (g_str_equal (method, "GET"))
        handle_list_orders (self, msg, query);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET, POST");
    }
  else if (n_parts == 2)
    {
      if (g_str_equal (method, "GET"))
        handle_get_order (self, msg, parts[1]);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 3 && g_str_equal (parts[2], "qr.png"))
    usdtpay_pay_page_order_qr (self->engine, msg, method, parts[1]);
  else if (n_parts == 3 && g_str_equal (parts[2], "events"))
    {
      if (g_str_equal (method, "GET"))
        handle_order_record (self, msg, parts[1], TRUE);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 3 && action_from_path (parts[2], &action))
    {
      if (g_str_equal (method, "POST"))
        handle_order_action (self, msg, parts[1], action);
      else
        usdtpay_http_respond_method_not_allowed (msg, "POST");
    }
  else
    usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_NOT_FOUND, "no such resource");
}

static void
route_merchants (UsdtpayServer     *self,
                 SoupServerMessage *msg,
                 const char        *method,
                 char             **parts,
                 guint              n_parts)
{
  if (n_parts == 1)
    {
      if (g_str_equal (method, "GET"))
        handle_list_merchants (self, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 2 && g_str_equal (parts[1], "me"))
    {
      if (g_str_equal (method, "GET"))
        handle_merchant_me (self, msg, FALSE);
      else if (g_str_equal (method, "PATCH"))
        handle_merchant_me (self, msg, TRUE);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET, PATCH");
    }
  else if (n_parts == 3 && (g_str_equal (parts[2], "suspend") || g_str_equal (parts[2], "unsuspend")))
    {
      if (g_str_equal (method, "POST"))
        handle_suspend (self, msg, parts[1], g_str_equal (parts[2], "suspend"));
      else
        usdtpay_http_respond_method_not_allowed (msg, "POST");
    }
  else
    usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_NOT_FOUND, "no such resource");
}

static void
route (UsdtpayServer     *self,
       SoupServerMessage *msg,
       const char        *method,
       const char        *path,
       GHashTable        *query)
{
  g_auto(GStrv) parts = NULL;
  guint n_parts;

  if (usdtpay_pay_page_route (self->engine, msg, method, path, query))
    return;
  if (!g_str_has_prefix (path, "/v1/"))
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_NOT_FOUND, "no such resource");
      return;
    }

  parts = g_strsplit (path + strlen ("/v1/"), "/", 8);
  n_parts = g_strv_length (parts);
  if (n_parts > 0 && *parts[n_parts - 1] == '\0')
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_NOT_FOUND, "no such resource");
      return;
    }

  if (g_str_equal (parts[0], "orders"))
    route_orders (self, msg, method, parts, n_parts, query);
  else if (g_str_equal (parts[0], "merchants"))
    route_merchants (self, msg, method, parts, n_parts);
  else if (n_parts == 1 && g_str_equal (parts[0], "sessions"))
    {
      if (g_str_equal (method, "POST"))
        handle_login (self, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "POST");
    }
  else if (n_parts == 2 && g_str_equal (parts[0], "sessions") && g_str_equal (parts[1], "current"))
    {
      if (g_str_equal (method, "DELETE"))
        handle_logout (self, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "DELETE");
    }
  else if (n_parts == 2 && g_str_equal (parts[0], "ledger") && g_str_equal (parts[1], "balances"))
    {
      if (g_str_equal (method, "GET"))
        handle_balances (self, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 1 && g_str_equal (parts[0], "openapi.json"))
    usdtpay_openapi_serve (msg, method);
  else if (n_parts == 1 && g_str_equal (parts[0], "health"))
    {
      if (g_str_equal (method, "GET"))
        handle_health (self, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 2 && g_str_equal (parts[0], "receipts"))
    {
      if (g_str_equal (method, "GET"))
        handle_order_record (self, msg, parts[1], FALSE);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 1 && g_str_equal (parts[0], "platform-keys"))
    {
      if (g_str_equal (method, "GET"))
        handle_platform_keys (self, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 2 && g_str_equal (parts[0], "dev") && g_str_equal (parts[1], "clock"))
    {
      if (g_str_equal (method, "GET") || g_str_equal (method, "POST"))
        handle_dev_clock (self, msg, g_str_equal (method, "POST"));
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET, POST");
    }
  else if (usdtpay_webhooks_route (usdtpay_engine_get_webhooks (self->engine), msg, method, parts, n_parts,
                                   query))
    ;
  else if (usdtpay_chain_api_route (self, self->engine, msg, method, parts, n_parts, query))
    ;
  else
    usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_NOT_FOUND, "no such resource");
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  UsdtpayServer *self = user_data;

  usdtpay_request_guard_begin (self->guard, msg);
  if (self->shutting_down)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_UNAVAILABLE, "the platform is shutting down");
      return;
    }
  if (!usdtpay_request_guard_admit (self->guard, msg, query))
    return;

  if (soup_server_message_get_request_body (msg)->length > USDTPAY_MAX_BODY)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_TOO_LARGE, "the body is over 64 KiB");
      return;
    }

  route (self, msg, soup_server_message_get_method (msg), path, query);
}

/* Refuses an oversized body from its headers, before it is read. */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  UsdtpayServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);

  usdtpay_request_guard_begin (self->guard, msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      length > USDTPAY_MAX_BODY)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_TOO_LARGE, "the body is over 64 KiB");
    }
}

/* The feed: authenticated like any request, before the upgrade. */
static void
feed_early_handler_cb (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  UsdtpayServer *self = user_data;
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  const char *since = query ? g_hash_table_lookup (query, "since") : NULL;
  guint64 value;

  usdtpay_request_guard_begin (self->guard, msg);
  if (self->shutting_down)
    usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_UNAVAILABLE, "the platform is shutting down");
  else if (!usdtpay_request_guard_admit (self->guard, msg, query))
    ;
  else if (!authenticate (self, msg, &caller, &error))
    usdtpay_http_respond_error (msg, error);
  else if (caller.role == USDTPAY_ROLE_SHOP)
    usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_FORBIDDEN, "shops receive webhooks, not the feed");
  else if (since != NULL && !g_ascii_string_to_unsigned (since, 10, 0, G_MAXINT64, &value, NULL))
    usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, "since must be a sequence number");
}

static void
feed_cb (SoupServer              *server,
         SoupServerMessage       *msg,
         const char              *path,
         SoupWebsocketConnection *connection,
         gpointer                 user_data)
{
  UsdtpayServer *self = user_data;
  g_auto(UsdtpayCaller) caller = { 0 };
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query_text = g_uri_get_query (uri);
  g_autoptr(GHashTable) query = query_text ? g_uri_parse_params (query_text, -1, "&", G_URI_PARAMS_NONE, NULL)
                                           : NULL;
  const char *since = query ? g_hash_table_lookup (query, "since") : NULL;

  if (!authenticate (self, msg, &caller, NULL))
    {
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unauthenticated");
      return;
    }

  usdtpay_feed_add_connection (self->feed, connection, soup_server_message_get_socket (msg),
                               caller.principal, since ? g_ascii_strtoll (since, NULL, 10) : 0);
}

/* Deadlines */

static void
tick_committed_cb (const GError *error,
                   gpointer      user_data)
{
  UsdtpayServer *self = user_data;

  self->tick_in_flight = FALSE;
  g_object_unref (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  UsdtpayServer *self = user_data;
  g_autoptr(UsdtpayChange) change = NULL;
  gint64 horizon = usdtpay_engine_now (self->engine) - IDEMPOTENCY_KEEP;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->idempotency);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Idem *idem = value;

      if (idem->durable && idem->created_at < horizon)
        g_hash_table_iter_remove (&iter);
    }

  /* Once a minute is often enough to forget old login failures. */
  if (++self->n_ticks % (60 * 1000 / TICK_MSEC) == 0)
    usdtpay_throttle_prune (self->throttle, g_get_real_time ());

  if (self->tick_in_flight)
    return G_SOURCE_CONTINUE;

  change = usdtpay_change_new ();
  usdtpay_engine_tick (self->engine, change);
  if (!usdtpay_change_is_empty (change))
    {
      self->tick_in_flight = TRUE;
      usdtpay_engine_commit (self->engine, g_steal_pointer (&change), tick_committed_cb, g_object_ref (self));
    }

  return G_SOURCE_CONTINUE;
}

/* Lifecycle */

char *
usdtpay_server_listen (UsdtpayServer  *self,
                       const char     *address,
                       GError        **error)
{
  g_autoptr(GSocketConnectable) parsed = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSList) uris = NULL;
  const char *host;
  char *base_url;
  GUri *uri;

  g_return_val_if_fail (USDTPAY_IS_SERVER (self), NULL);

  if (!(parsed = g_network_address_parse (address, 0, error)))
    return NULL;
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed));
  socket_address = g_inet_socket_address_new_from_string (host, g_network_address_get_port (G_NETWORK_ADDRESS (parsed)));
  if (socket_address == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "--listen wants a numeric ADDRESS:PORT, not %s", address);
      return NULL;
    }
  /* Our own socket, for a backlog that absorbs bursts of new connections
   * (GLib's default is 10). */
  socket = g_socket_new (g_socket_address_get_family (socket_address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  /* Answers go out as several small writes (headers, body): without
   * TCP_NODELAY each would wait on the client's delayed ACK (40 ms).
   * Accepted connections inherit it on Linux. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_bind (socket, socket_address, TRUE, error) ||
      !g_socket_listen (socket, error) ||
      !soup_server_listen_socket (self->soup, socket,
                                  soup_server_is_https (self->soup) ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return NULL;

  uris = soup_server_get_uris (self->soup);
  uri = uris->data;
  base_url = g_strdup_printf ("%s://%s%s%s:%d", g_uri_get_scheme (uri), strchr (host, ':') ? "[" : "",
                              host, strchr (host, ':') ? "]" : "", g_uri_get_port (uri));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify)g_uri_unref);
  usdtpay_engine_set_base_url (self->engine, base_url);

  return base_url;
}

void
usdtpay_server_set_rate_limit (UsdtpayServer *self,
                               guint          rate_limit)
{
  g_return_if_fail (USDTPAY_IS_SERVER (self));

  usdtpay_request_guard_set_rate_limit (self->guard, rate_limit);
}

void
usdtpay_server_shutdown (UsdtpayServer *self,
                         GSourceFunc    callback,
                         gpointer       user_data)
{
  g_return_if_fail (USDTPAY_IS_SERVER (self));

  self->shutting_down = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  usdtpay_feed_close_all (self->feed);

  if (self->in_flight == 0)
    g_idle_add (callback, user_data);
  else
    {
      self->drained = callback;
      self->drained_data = user_data;
    }
}

/* Answers kept across a restart, so a retry after a crash replays them. */
static void
load_idempotency (UsdtpayServer *self)
{
  g_autoptr(GPtrArray) loaded = usdtpay_engine_take_loaded_idempotency (self->engine);

  for (guint i = 0; loaded != NULL && i < loaded->len; i++)
    {
      const UsdtpayOp *op = g_ptr_array_index (loaded, i);
      Idem *idem = g_new0 (Idem, 1);

      g_strlcpy (idem->body_hash, op->idempotency.body_hash, sizeof idem->body_hash);
      idem->durable = TRUE;
      idem->created_at = op->idempotency.created_at;
      g_hash_table_insert (self->idempotency,
                           idempotency_map_key (op->idempotency.shop, op->idempotency.key), idem);
    }
}

UsdtpayServer *
usdtpay_server_new (UsdtpayEngine   *engine,
                    GTlsCertificate *certificate)
{
  UsdtpayServer *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);

  self = g_object_new (USDTPAY_TYPE_SERVER, NULL);
  self->engine = g_object_ref (engine);
  self->feed = usdtpay_feed_new (engine);
  self->throttle = usdtpay_throttle_new ();
  self->dummy_hash = usdtpay_password_hash ("usdtpay: nobody has this password", &error);
  self->soup = soup_server_new ("server-header", "usdtpay-platform/" PACKAGE_VERSION,
                                "tls-certificate", certificate,
                                NULL);

  self->guard = usdtpay_request_guard_new (self->soup, 0);
  soup_server_add_early_handler (self->soup, NULL, early_handler_cb, self, NULL);
  soup_server_add_early_handler (self->soup, "/v1/feed", feed_early_handler_cb, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/v1/feed", NULL, NULL, feed_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler_cb, self, NULL);

  load_idempotency (self);
  self->tick_id = g_timeout_add (TICK_MSEC, tick_cb, self);

  return self;
}

static void
usdtpay_server_dispose (GObject *object)
{
  UsdtpayServer *self = (UsdtpayServer *)object;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->guard);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->feed);
  g_clear_object (&self->throttle);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->idempotency, g_hash_table_unref);
  g_clear_pointer (&self->dummy_hash, g_free);

  G_OBJECT_CLASS (usdtpay_server_parent_class)->dispose (object);
}

static void
usdtpay_server_class_init (UsdtpayServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = usdtpay_server_dispose;
}

static void
usdtpay_server_init (UsdtpayServer *self)
{
  self->idempotency = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, idem_free);
}

/* Requests answered by other files (usdtpay-chain-api.c) that wait for the
 * store: shutdown waits for them too. */
void
usdtpay_server_hold_request (UsdtpayServer *self)
{
  g_return_if_fail (USDTPAY_IS_SERVER (self));

  g_object_ref (self);
  self->in_flight++;
}

void
usdtpay_server_release_request (UsdtpayServer *self)
{
  g_return_if_fail (USDTPAY_IS_SERVER (self));
  g_return_if_fail (self->in_flight > 0);

  if (--self->in_flight == 0 && self->shutting_down && self->drained != NULL)
    {
      GSourceFunc drained = g_steal_pointer (&self->drained);

      g_idle_add (drained, self->drained_data);
    }
  g_object_unref (self);
}
