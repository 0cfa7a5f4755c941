/* usdtpay-chain-api.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain-api"

#include "config.h"

#include <string.h>

#include "usdtpay-chain-api.h"
#include "usdtpay-chain-book.h"
#include "usdtpay-http.h"
#include "usdtpay-server.h"

/* Checks run in the API's order: 401, 403, 404, 409. Every POST answers
 * once its change (even an empty one) is durable. */

typedef struct
{
  UsdtpayServer     *server;
  SoupServerMessage *msg;
  guint              status;
  GBytes            *body;
} Pending;

static void
committed_cb (const GError *error,
              gpointer      user_data)
{
  Pending *pending = user_data;

  if (error != NULL)
    {
      g_autoptr(GError) unavailable =
        g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE, "the store could not write: %s", error->message);

      g_bytes_unref (pending->body);
      pending->body = usdtpay_http_error_bytes (unavailable);
      pending->status = SOUP_STATUS_SERVICE_UNAVAILABLE;
    }

  usdtpay_http_respond_bytes (pending->msg, pending->status, pending->body);
  soup_server_message_unpause (pending->msg);
  usdtpay_server_release_request (pending->server);
  g_object_unref (pending->msg);
  g_bytes_unref (pending->body);
  g_free (pending);
}

/* Answers @node (or @error) once @change is durable. Takes @change. */
static void
commit_and_answer (UsdtpayServer     *server,
                   UsdtpayEngine     *engine,
                   SoupServerMessage *msg,
                   UsdtpayChange     *change,
                   guint              status,
                   JsonNode          *node,
                   const GError      *error)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->server = server;
  usdtpay_server_hold_request (server);
  pending->msg = g_object_ref (msg);
  if (error != NULL)
    {
      pending->status = usdtpay_error_to_http_status (error);
      pending->body = usdtpay_http_error_bytes (error);
    }
  else
    {
      gsize length = 0;
      char *text = usdtpay_json_to_string (node, &length);

      pending->status = status;
      pending->body = g_bytes_new_take (text, length);
    }
  soup_server_message_pause (msg);
  usdtpay_engine_commit (engine, change, committed_cb, pending);
}

static const char *
bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;

  return header + 7;
}

/* Who may own a wallet: a merchant, or a shop whose key may withdraw (when
 * @withdraw). */
static gboolean
authenticate_owner (UsdtpayEngine      *engine,
                    SoupServerMessage  *msg,
                    gboolean            withdraw,
                    UsdtpayCaller      *caller,
                    GError            **error)
{
  if (!usdtpay_engine_authenticate (engine, bearer_token (msg), caller, error))
    return FALSE;

  if (caller->role != USDTPAY_ROLE_MERCHANT && caller->role != USDTPAY_ROLE_SHOP)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only a merchant or a shop may do that");
      return FALSE;
    }
  if (withdraw && caller->role == USDTPAY_ROLE_SHOP && !(caller->scopes & USDTPAY_SCOPE_BALANCE_WITHDRAW))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the key lacks the balance:withdraw scope");
      return FALSE;
    }

  return TRUE;
}

static gboolean
require_chain (UsdtpayChainBook  *book,
               GError           **error)
{
  if (!usdtpay_chain_book_is_configured (book))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE,
                   "this platform runs without a chain (serve --rpc …)");
      return FALSE;
    }

  return TRUE;
}

static void
respond_not_found (SoupServerMessage *msg)
{
  g_autoptr(GError) error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no such resource");

  usdtpay_http_respond_error (msg, error);
}

/* Handlers */

static void
handle_chain (UsdtpayEngine     *engine,
              SoupServerMessage *msg)
{
  UsdtpayChainBook *book = usdtpay_engine_get_chain_book (engine);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!require_chain (book, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  node = usdtpay_chain_book_info_to_json (book);
  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_nonce (UsdtpayEngine     *engine,
              SoupServerMessage *msg)
{
  static const char * const none[] = { NULL };
  UsdtpayChainBook *book = usdtpay_engine_get_chain_book (engine);
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *message = NULL;
  g_autofree char *expires = NULL;
  gint64 expires_at = 0;

  if (!authenticate_owner (engine, msg, TRUE, &caller, &error) ||
      !usdtpay_http_parse_body (msg, TRUE, &body, &error) ||
      !require_chain (book, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  {
    g_autoptr(GList) members = body != NULL ? json_object_get_members (body) : NULL;

    if (members != NULL && !g_strv_contains (none, members->data))
      {
        g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "unknown member \"%s\"",
                     (const char *)members->data);
        usdtpay_http_respond_error (msg, error);
        return;
      }
  }

  message = usdtpay_chain_book_issue_nonce (book, caller.principal, &nonce, &expires_at);
  expires = usdtpay_time_format (expires_at);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "nonce");
  json_builder_add_string_value (builder, nonce);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_string_value (builder, expires);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_register (UsdtpayServer     *server,
                 UsdtpayEngine     *engine,
                 SoupServerMessage *msg)
{
  UsdtpayChainBook *book = usdtpay_engine_get_chain_book (engine);
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(UsdtpayChange) change = NULL;
  gboolean created = FALSE;

  if (!authenticate_owner (engine, msg, TRUE, &caller, &error) ||
      !usdtpay_http_parse_body (msg, FALSE, &body, &error) ||
      !require_chain (book, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  change = usdtpay_change_new ();
  node = usdtpay_chain_book_register_wallet (book, caller.principal, body, change, &created, &error);
  if (node == NULL)
    {
      usdtpay_change_free (g_steal_pointer (&change));
      commit_and_answer (server, engine, msg, usdtpay_change_new (), 0, NULL, error);
      return;
    }

  commit_and_answer (server, engine, msg, g_steal_pointer (&change), created ? SOUP_STATUS_CREATED : SOUP_STATUS_OK,
                     node, NULL);
}

static void
handle_list_wallets (UsdtpayEngine     *engine,
                     SoupServerMessage *msg)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!authenticate_owner (engine, msg, FALSE, &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  node = usdtpay_chain_book_list_wallets (usdtpay_engine_get_chain_book (engine), caller.principal);
  json_object_set_int_member (json_node_get_object (node), "seq", usdtpay_engine_get_head_seq (engine));
  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_withdraw (UsdtpayServer     *server,
                 UsdtpayEngine     *engine,
                 SoupServerMessage *msg)
{
  UsdtpayChainBook *book = usdtpay_engine_get_chain_book (engine);
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(UsdtpayChange) change = NULL;

  if (!authenticate_owner (engine, msg, TRUE, &caller, &error) ||
      !usdtpay_http_parse_body (msg, FALSE, &body, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  change = usdtpay_change_new ();
  node = usdtpay_chain_book_request_withdrawal (book, &caller, body, change, &error);
  if (node == NULL)
    {
      usdtpay_change_free (g_steal_pointer (&change));
      commit_and_answer (server, engine, msg, usdtpay_change_new (), 0, NULL, error);
      return;
    }

  commit_and_answer (server, engine, msg, g_steal_pointer (&change), SOUP_STATUS_CREATED, node, NULL);
}

static gboolean
authenticate_reader (UsdtpayEngine      *engine,
                     SoupServerMessage  *msg,
                     UsdtpayCaller      *caller,
                     GError            **error)
{
  if (!usdtpay_engine_authenticate (engine, bearer_token (msg), caller, error))
    return FALSE;
  if (caller->role == USDTPAY_ROLE_CUSTOMER || caller->principal == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "customers may not do that");
      return FALSE;
    }

  return TRUE;
}

static void
handle_list_withdrawals (UsdtpayEngine     *engine,
                         SoupServerMessage *msg)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!authenticate_reader (engine, msg, &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  node = usdtpay_chain_book_list_withdrawals (usdtpay_engine_get_chain_book (engine), &caller);
  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_list_deposits (UsdtpayEngine     *engine,
                      SoupServerMessage *msg,
                      GHashTable        *query)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *state = query ? g_hash_table_lookup (query, "state") : NULL;

  if (!authenticate_reader (engine, msg, &caller, &error) ||
      !(node = usdtpay_chain_book_list_deposits (usdtpay_engine_get_chain_book (engine), &caller, state,
                                                 &error)))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  usdtpay_http_respond_node (msg, SOUP_STATUS_OK, node);
}

static void
handle_deposit_action (UsdtpayServer     *server,
                       UsdtpayEngine     *engine,
                       SoupServerMessage *msg,
                       const char        *id,
                       gboolean           refund)
{
  UsdtpayChainBook *book = usdtpay_engine_get_chain_book (engine);
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(UsdtpayChange) change = NULL;

  if (!usdtpay_engine_authenticate (engine, bearer_token (msg), &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  if (caller.role != USDTPAY_ROLE_SUPPORT)
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only support may do that");
      usdtpay_http_respond_error (msg, error);
      return;
    }
  if (!usdtpay_http_parse_body (msg, FALSE, &body, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  change = usdtpay_change_new ();
  if (refund)
    node = usdtpay_chain_book_refund_deposit (book, &caller, id, body, change, &error);
  else
    node = usdtpay_chain_book_assign_deposit (book, &caller, id, body, change, &error);
  if (node == NULL)
    {
      usdtpay_change_free (g_steal_pointer (&change));
      commit_and_answer (server, engine, msg, usdtpay_change_new (), 0, NULL, error);
      return;
    }

  commit_and_answer (server, engine, msg, g_steal_pointer (&change), SOUP_STATUS_OK, node, NULL);
}

gboolean
usdtpay_chain_api_route (UsdtpayServer     *server,
                         UsdtpayEngine     *engine,
                         SoupServerMessage *msg,
                         const char        *method,
                         char             **parts,
                         guint              n_parts,
                         GHashTable        *query)
{
  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), FALSE);

  if (n_parts == 0)
    return FALSE;

  if (g_str_equal (parts[0], "chain"))
    {
      if (n_parts != 1)
        respond_not_found (msg);
      else if (g_str_equal (method, "GET"))
        handle_chain (engine, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (g_str_equal (parts[0], "wallets"))
    {
      if (n_parts == 1 && g_str_equal (method, "GET"))
        handle_list_wallets (engine, msg);
      else if (n_parts == 1 && g_str_equal (method, "POST"))
        handle_register (server, engine, msg);
      else if (n_parts == 1)
        usdtpay_http_respond_method_not_allowed (msg, "GET, POST");
      else if (n_parts == 2 && g_str_equal (parts[1], "nonce"))
        {
          if (g_str_equal (method, "POST"))
            handle_nonce (engine, msg);
          else
            usdtpay_http_respond_method_not_allowed (msg, "POST");
        }
      else
        respond_not_found (msg);
    }
  else if (g_str_equal (parts[0], "withdrawals"))
    {
      if (n_parts != 1)
        respond_not_found (msg);
      else if (g_str_equal (method, "GET"))
        handle_list_withdrawals (engine, msg);
      else if (g_str_equal (method, "POST"))
        handle_withdraw (server, engine, msg);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET, POST");
    }
  else if (g_str_equal (parts[0], "deposits"))
    {
      if (n_parts == 1)
        {
          if (g_str_equal (method, "GET"))
            handle_list_deposits (engine, msg, query);
          else
            usdtpay_http_respond_method_not_allowed (msg, "GET");
        }
      else if (n_parts == 3 && (g_str_equal (parts[2], "assign") || g_str_equal (parts[2], "refund")))
        {
          if (g_str_equal (method, "POST"))
            handle_deposit_action (server, engine, msg, parts[1], g_str_equal (parts[2], "refund"));
          else
            usdtpay_http_respond_method_not_allowed (msg, "POST");
        }
      else
        respond_not_found (msg);
    }
  else
    return FALSE;

  return TRUE;
}

void
usdtpay_chain_api_add_health (UsdtpayEngine *engine,
                              JsonBuilder   *builder)
{
  UsdtpayChainBook *book = usdtpay_engine_get_chain_book (engine);

  if (!usdtpay_chain_book_is_configured (book))
    return;

  json_builder_set_member_name (builder, "chain");
  json_builder_add_value (builder, usdtpay_chain_book_health_to_json (book));
}
