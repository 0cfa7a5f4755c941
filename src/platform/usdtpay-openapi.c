/* usdtpay-openapi.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-openapi"

#include "config.h"

#include "usdtpay-core.h"
#include "usdtpay-openapi.h"

#define OPENAPI_RESOURCE "/com/example/UsdtPay/platform/openapi.json"

static const UsdtpayRoute routes[] = {
  { "POST", "/v1/sessions" },
  { "DELETE", "/v1/sessions/current" },
  { "GET", "/v1/orders" },
  { "POST", "/v1/orders" },
  { "GET", "/v1/orders/{id}" },
  { "GET", "/v1/orders/{id}/qr.png" },
  { "POST", "/v1/orders/{id}/accept" },
  { "POST", "/v1/orders/{id}/paid" },
  { "POST", "/v1/orders/{id}/confirm" },
  { "POST", "/v1/orders/{id}/cancel" },
  { "POST", "/v1/orders/{id}/dispute" },
  { "POST", "/v1/orders/{id}/resolve" },
  { "GET", "/v1/merchants" },
  { "GET", "/v1/merchants/me" },
  { "PATCH", "/v1/merchants/me" },
  { "POST", "/v1/merchants/{name}/suspend" },
  { "POST", "/v1/merchants/{name}/unsuspend" },
  { "GET", "/v1/ledger/balances" },
  { "GET", "/v1/health" },
  { "GET", "/v1/openapi.json" },
  { "GET", "/v1/dev/clock" },
  { "POST", "/v1/dev/clock" },
  { "GET", "/v1/feed" },
  { "GET", "/v1/shops/me" },
  { "PATCH", "/v1/shops/me" },
  { "GET", "/v1/webhook-deliveries" },
  { "POST", "/v1/webhook-deliveries/{id}/redeliver" },
  { "GET", "/pay/{id}" },
  { "GET", "/pay/{id}/method-qr.png" },
  { "GET", "/v1/orders/{id}/events" },
  { "GET", "/v1/receipts/{id}" },
  { "GET", "/v1/platform-keys" },
  { "GET", "/v1/chain" },
  { "POST", "/v1/wallets/nonce" },
  { "GET", "/v1/wallets" },
  { "POST", "/v1/wallets" },
  { "GET", "/v1/withdrawals" },
  { "POST", "/v1/withdrawals" },
  { "GET", "/v1/deposits" },
  { "POST", "/v1/deposits/{id}/assign" },
  { "POST", "/v1/deposits/{id}/refund" },
};

const UsdtpayRoute *
usdtpay_openapi_routes (guint *n_routes)
{
  g_return_val_if_fail (n_routes != NULL, NULL);

  *n_routes = G_N_ELEMENTS (routes);

  return routes;
}

void
usdtpay_openapi_serve (SoupServerMessage *msg,
                       const char        *method)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) document = NULL;
  gsize length = 0;
  gconstpointer data;

  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    {
      g_autoptr(GError) error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_METHOD_NOT_ALLOWED,
                                                     "method not allowed here");
      g_autofree char *body = usdtpay_json_error_body (error, &length);

      soup_message_headers_replace (headers, "Allow", "GET");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, length);
      soup_server_message_set_status (msg, usdtpay_error_to_http_status (error), NULL);
      return;
    }

  document = g_resources_lookup_data (OPENAPI_RESOURCE, 0, NULL);
  g_assert (document != NULL);
  data = g_bytes_get_data (document, &length);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, data, length);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}
