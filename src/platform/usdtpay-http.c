/* usdtpay-http.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-http"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "usdtpay-core.h"
#include "usdtpay-http.h"

static void
uncork_cb (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  g_signal_handlers_disconnect_by_func (msg, uncork_cb, NULL);
  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 0, NULL);
}

/* libsoup writes an answer's headers and body separately, and with
 * TCP_NODELAY each write would leave as a segment of its own that the
 * client must take in: corked, the answer leaves as one when its body is
 * written. */
static void
cork_until_written (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket == NULL || !g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 1, NULL))
    return;
  /* An answer without a body may finish without "wrote-body". */
  g_signal_connect (msg, "wrote-body", G_CALLBACK (uncork_cb), NULL);
  g_signal_connect (msg, "finished", G_CALLBACK (uncork_cb), NULL);
}

/* libsoup 3.2 writes a 204 without a body but leaves the answer's
 * encoding at "until the connection closes" (it resets any other while
 * writing the headers), and so closes a keep-alive connection after every
 * 204. Once the headers are out, the answer's encoding is what it was:
 * none. */
static void
keep_alive_cb (SoupServerMessage *msg)
{
  g_signal_handlers_disconnect_by_func (msg, keep_alive_cb, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg), SOUP_ENCODING_NONE);
}

void
usdtpay_http_respond_bytes (SoupServerMessage *msg,
                            guint              status,
                            GBytes            *body)
{
  SoupMessageHeaders *headers;
  gsize length = 0;
  gconstpointer data = body ? g_bytes_get_data (body, &length) : NULL;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  headers = soup_server_message_get_response_headers (msg);
  cork_until_written (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  if (status == SOUP_STATUS_NO_CONTENT)
    g_signal_connect (msg, "wrote-headers", G_CALLBACK (keep_alive_cb), NULL);
  else
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, data, length);
  soup_server_message_set_status (msg, status, NULL);
}

GBytes *
usdtpay_http_error_bytes (const GError *error)
{
  gsize length = 0;
  char *text = usdtpay_json_error_body (error, &length);

  return g_bytes_new_take (text, length);
}

GBytes *
usdtpay_http_node_bytes (JsonNode *node)
{
  gsize length = 0;
  char *text = usdtpay_json_to_string (node, &length);

  return g_bytes_new_take (text, length);
}

void
usdtpay_http_respond_node (SoupServerMessage *msg,
                           guint              status,
                           JsonNode          *node)
{
  g_autoptr(GBytes) body = usdtpay_http_node_bytes (node);

  usdtpay_http_respond_bytes (msg, status, body);
}

void
usdtpay_http_respond_error (SoupServerMessage *msg,
                            const GError      *error)
{
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (error != NULL);

  body = usdtpay_http_error_bytes (error);
  if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer");
  usdtpay_http_respond_bytes (msg, usdtpay_error_to_http_status (error), body);
}

void
usdtpay_http_respond_new_error (SoupServerMessage *msg,
                                UsdtpayErrorCode   code,
                                const char        *message)
{
  g_autoptr(GError) error = g_error_new_literal (USDTPAY_ERROR, code, message);

  usdtpay_http_respond_error (msg, error);
}

void
usdtpay_http_respond_method_not_allowed (SoupServerMessage *msg,
                                         const char        *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_METHOD_NOT_ALLOWED, "method not allowed here");
}

gboolean
usdtpay_http_parse_body (SoupServerMessage  *msg,
                         gboolean            optional,
                         JsonObject        **out,
                         GError            **error)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);

  *out = NULL;
  if (length > USDTPAY_MAX_BODY)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE, "the body is over 64 KiB");
      return FALSE;
    }
  if (length == 0 && optional)
    return TRUE;
  if (length == 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "a JSON body is required");
      return FALSE;
    }

  *out = usdtpay_json_parse_object (data, length, error);

  return *out != NULL;
}
