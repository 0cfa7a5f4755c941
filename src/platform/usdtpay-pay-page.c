/* usdtpay-pay-page.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-pay-page"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-pay-page.h"
#include "usdtpay-qr.h"

/* The customer's page is one self-contained HTML document (data/pay.html,
 * compiled in as a GResource): its script reads the order through the API
 * with the customer's token and renders it, so nothing the shop, merchant
 * or customer wrote is ever put into the HTML by the server. The only thing
 * the server fills in is a fresh CSP nonce. The token is taken from the
 * query and never logged.
 */

#define PAY_PAGE_RESOURCE "/com/example/UsdtPay/platform/pay.html"
#define NONCE_MARK        "{{NONCE}}"
#define QR_SCALE          8

static const char not_found_html[] =
  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
  "<title>Not found</title></head><body><h1>Not found</h1>"
  "<p>This payment link is not valid.</p></body></html>\n";

static void
set_page_headers (SoupServerMessage *msg,
                  const char        *nonce)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *csp = NULL;

  if (nonce != NULL)
    csp = g_strdup_printf ("default-src 'none'; script-src 'nonce-%s'; style-src 'nonce-%s';"
                           " connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
                           " frame-ancestors 'none'", nonce, nonce);
  else
    csp = g_strdup ("default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");

  soup_message_headers_replace (headers, "Content-Security-Policy", csp);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
}

static void
respond_not_found (SoupServerMessage *msg)
{
  set_page_headers (msg, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                    not_found_html, strlen (not_found_html));
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
respond_method_not_allowed (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
  set_page_headers (msg, NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
}

/* The order behind /pay/{id}?t=…, or NULL when the token does not open it. */
static UsdtpayOrder *
customer_order (UsdtpayEngine *engine,
                const char    *order_id,
                GHashTable    *query)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  const char *token = query ? g_hash_table_lookup (query, "t") : NULL;

  if (!usdtpay_engine_authenticate_customer (engine, order_id, token, &caller))
    return NULL;

  return usdtpay_engine_get_order (engine, &caller, order_id, NULL);
}

static void
serve_page (SoupServerMessage *msg)
{
  g_autoptr(GBytes) page = g_resources_lookup_data (PAY_PAGE_RESOURCE, 0, NULL);
  g_autofree char *nonce = NULL;
  g_auto(GStrv) pieces = NULL;
  g_autofree char *html = NULL;
  guint8 bytes[18];
  char encoded[32];
  gsize length;

  g_assert (page != NULL);

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (encoded, sizeof encoded, bytes, sizeof bytes, sodium_base64_VARIANT_ORIGINAL);
  nonce = g_strdup (encoded);

  pieces = g_strsplit (g_bytes_get_data (page, NULL), NONCE_MARK, -1);
  html = g_strjoinv (nonce, pieces);

  length = strlen (html);
  set_page_headers (msg, nonce);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&html), length);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
respond_png (SoupServerMessage *msg,
             GBytes            *png)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize length = 0;
  gconstpointer data = g_bytes_get_data (png, &length);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_server_message_set_response (msg, "image/png", SOUP_MEMORY_COPY, data, length);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

/* The merchant's own payment QR (the method's `qr` text), shown to the
 * customer of a matched or paid order only, like the other details. */
static void
serve_method_qr (UsdtpayEngine     *engine,
                 SoupServerMessage *msg,
                 UsdtpayOrder      *order)
{
  const UsdtpayMethod *method = NULL;
  g_autoptr(GBytes) png = NULL;

  if (order->state == USDTPAY_ORDER_MATCHED || order->state == USDTPAY_ORDER_PAID)
    method = usdtpay_engine_order_method (engine, order);
  if (method == NULL || method->qr == NULL || !(png = usdtpay_qr_png (method->qr, QR_SCALE, NULL)))
    {
      respond_not_found (msg);
      return;
    }

  respond_png (msg, png);
}

gboolean
usdtpay_pay_page_route (UsdtpayEngine     *engine,
                        SoupServerMessage *msg,
                        const char        *method,
                        const char        *path,
                        GHashTable        *query)
{
  g_auto(GStrv) parts = NULL;
  UsdtpayOrder *order;
  guint n_parts;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), FALSE);

  if (!g_str_has_prefix (path, "/pay/"))
    return FALSE;

  parts = g_strsplit (path + strlen ("/pay/"), "/", 3);
  n_parts = g_strv_length (parts);

  if (!(n_parts == 1 || (n_parts == 2 && g_str_equal (parts[1], "method-qr.png"))) || *parts[0] == '\0')
    respond_not_found (msg);
  else if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    respond_method_not_allowed (msg);
  else if (!(order = customer_order (engine, parts[0], query)))
    respond_not_found (msg);
  else if (n_parts == 1)
    serve_page (msg);
  else
    serve_method_qr (engine, msg, order);

  return TRUE;
}

void
usdtpay_pay_page_order_qr (UsdtpayEngine     *engine,
                           SoupServerMessage *msg,
                           const char        *method,
                           const char        *order_id)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree char *pay_url = NULL;
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  UsdtpayOrder *order = NULL;

  g_return_if_fail (USDTPAY_IS_ENGINE (engine));

  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET");
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_METHOD_NOT_ALLOWED, "method not allowed here");
    }
  else if (usdtpay_engine_authenticate (engine,
                                        header && g_ascii_strncasecmp (header, "Bearer ", 7) == 0
                                          ? header + 7 : NULL,
                                        &caller, &error))
    {
      /* The owning shop only: anyone else is told there is no such order. */
      if (caller.role == USDTPAY_ROLE_SHOP && !(caller.scopes & USDTPAY_SCOPE_ORDERS_READ))
        g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the key lacks the orders:read scope");
      else if (caller.role != USDTPAY_ROLE_SHOP)
        g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no such order");
      else
        order = usdtpay_engine_get_order (engine, &caller, order_id, &error);
    }

  if (order != NULL)
    {
      pay_url = usdtpay_engine_pay_url (engine, order);
      png = usdtpay_qr_png (pay_url, QR_SCALE, &error);
    }

  if (png == NULL)
    {
      gsize length = 0;
      g_autofree char *body = usdtpay_json_error_body (error, &length);
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED))
        soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer");
      soup_message_headers_replace (headers, "Cache-Control", "no-store");
      soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, length);
      soup_server_message_set_status (msg, usdtpay_error_to_http_status (error), NULL);
      return;
    }

  respond_png (msg, png);
}
