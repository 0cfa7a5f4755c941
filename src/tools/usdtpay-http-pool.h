/* usdtpay-http-pool.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define USDTPAY_TYPE_HTTP_POOL (usdtpay_http_pool_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayHttpPool, usdtpay_http_pool, USDTPAY, HTTP_POOL, GObject)

#define USDTPAY_HTTP_POOL_DEFAULT_MAX_BODY_SIZE (16 * 1024 * 1024)

/* Called exactly once per request, from the pool's main context and never
 * from inside usdtpay_http_pool_send(). On success @error is NULL, @status
 * is the final status (a 1xx is skipped), @body holds the whole body
 * (possibly empty, never NULL) and @retry_after the Retry-After header's
 * value or NULL; all three are borrowed for the call. On failure @status is
 * 0 and @body and @retry_after are NULL; @error is G_IO_ERROR_CANCELLED for
 * a cancelled request (or one still pending when the pool is disposed),
 * another G_IO_ERROR from the socket (CONNECTION_REFUSED, CONNECTION_CLOSED,
 * TIMED_OUT, …), USDTPAY_ERROR_PROTOCOL for a malformed answer, or
 * USDTPAY_ERROR_TOO_LARGE for a body over the pool's max-body-size. */
typedef void (*UsdtpayHttpPoolCallback) (UsdtpayHttpPool *pool,
                                         guint            status,
                                         GBytes          *body,
                                         const char      *retry_after,
                                         const GError    *error,
                                         gpointer         user_data);

/* A lean HTTP/1.1 client for one http://host[:port] origin, made for load
 * generation: at most max-connections keep-alive connections on the
 * thread-default main context of the thread that made it, requests queued
 * first in, first out while every connection is busy. Fails with
 * G_IO_ERROR_INVALID_ARGUMENT when @origin is not http://host[:port]. */
UsdtpayHttpPool *usdtpay_http_pool_new                 (const char               *origin,
                                                        guint                     max_connections,
                                                        GError                  **error);
const char      *usdtpay_http_pool_get_origin          (UsdtpayHttpPool          *self);
guint            usdtpay_http_pool_get_max_connections (UsdtpayHttpPool          *self);
void             usdtpay_http_pool_set_max_connections (UsdtpayHttpPool          *self,
                                                        guint                     max_connections);
/* Seconds a connection may go without progress while it connects, sends
 * its request or waits for the next bytes of the answer; the connection is
 * then closed and its request fails with G_IO_ERROR_TIMED_OUT (checked once
 * a second). 0, the default, waits forever. A request waiting in the queue
 * waits for a connection to free up. */
guint            usdtpay_http_pool_get_timeout         (UsdtpayHttpPool          *self);
void             usdtpay_http_pool_set_timeout         (UsdtpayHttpPool          *self,
                                                        guint                     seconds);
/* Seconds an idle keep-alive connection is kept; 0 (the default) keeps it
 * until the server closes it. */
guint            usdtpay_http_pool_get_idle_timeout    (UsdtpayHttpPool          *self);
void             usdtpay_http_pool_set_idle_timeout    (UsdtpayHttpPool          *self,
                                                        guint                     seconds);
guint64          usdtpay_http_pool_get_max_body_size   (UsdtpayHttpPool          *self);
void             usdtpay_http_pool_set_max_body_size   (UsdtpayHttpPool          *self,
                                                        guint64                   size);
const char      *usdtpay_http_pool_get_user_agent      (UsdtpayHttpPool          *self);
void             usdtpay_http_pool_set_user_agent      (UsdtpayHttpPool          *self,
                                                        const char               *user_agent);
/* Connections open or opening now. */
guint            usdtpay_http_pool_get_n_connections   (UsdtpayHttpPool          *self);
/* Requests resent on a fresh connection because the server had closed an
 * idle keep-alive connection under them. */
guint64          usdtpay_http_pool_get_n_resends       (UsdtpayHttpPool          *self);

/* Sends @method @path (path and query, starting with '/') with Host, the
 * pool's User-Agent, "Authorization: @authorization" and "Idempotency-Key:
 * @idempotency_key" when not NULL, the NULL-terminated name/value pairs of
 * @headers, and, when @body is not NULL, Content-Type: application/json,
 * Content-Length and @body, all written with one send. A method, path or
 * header that would break the request line or a header line fails the
 * request with G_IO_ERROR_INVALID_ARGUMENT. */
void             usdtpay_http_pool_send                (UsdtpayHttpPool          *self,
                                                        const char               *method,
                                                        const char               *path,
                                                        const char               *authorization,
                                                        const char               *idempotency_key,
                                                        const char * const       *headers,
                                                        GBytes                   *body,
                                                        GCancellable             *cancellable,
                                                        UsdtpayHttpPoolCallback   callback,
                                                        gpointer                  user_data);

G_END_DECLS
