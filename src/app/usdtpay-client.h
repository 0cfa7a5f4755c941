/* usdtpay-client.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "usdtpay-core.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_CLIENT (usdtpay_client_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayClient, usdtpay_client, USDTPAY, CLIENT, GObject)

/* Whether @url may be used as a platform URL: https://, or http:// to a
 * loopback address. Fails with G_IO_ERROR_INVALID_ARGUMENT otherwise. */
gboolean       usdtpay_client_check_url          (const char           *url,
                                                  GError              **error);

UsdtpayClient *usdtpay_client_new                (const char           *base_url,
                                                  GError              **error);
const char    *usdtpay_client_get_base_url       (UsdtpayClient        *self);
const char    *usdtpay_client_get_token          (UsdtpayClient        *self);
void           usdtpay_client_set_token          (UsdtpayClient        *self,
                                                  const char           *token);
SoupSession   *usdtpay_client_get_session        (UsdtpayClient        *self);
/* A request for @path (which starts with "/v1/"), with the session token. */
SoupMessage   *usdtpay_client_new_message        (UsdtpayClient        *self,
                                                  const char           *method,
                                                  const char           *path_and_query);

/* POST /v1/sessions. Returns the session token; @role is set to the
 * principal's role ("merchant", "support"). */
void           usdtpay_client_login_async        (UsdtpayClient        *self,
                                                  const char           *username,
                                                  const char           *password,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
char          *usdtpay_client_login_finish       (UsdtpayClient        *self,
                                                  GAsyncResult         *result,
                                                  char                **role,
                                                  GError              **error);
/* DELETE /v1/sessions/current. */
void           usdtpay_client_logout_async       (UsdtpayClient        *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean       usdtpay_client_logout_finish      (UsdtpayClient        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* GET /v1/merchants/me, or PATCH it with @changes (may be NULL for GET).
 * Returns the merchant object. */
void           usdtpay_client_merchant_async     (UsdtpayClient        *self,
                                                  JsonObject           *changes,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
JsonObject    *usdtpay_client_merchant_finish    (UsdtpayClient        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* GET /v1/orders?state=@state (newest first), following pages until
 * @max_items orders (0: every page). Returns a GPtrArray of UsdtpayOrder;
 * @seq is the log's head at the first page. */
void           usdtpay_client_list_orders_async  (UsdtpayClient        *self,
                                                  const char           *state,
                                                  guint                 max_items,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray     *usdtpay_client_list_orders_finish (UsdtpayClient        *self,
                                                  GAsyncResult         *result,
                                                  gint64               *seq,
                                                  GError              **error);

/* GET /v1/orders/{id}. */
void           usdtpay_client_get_order_async    (UsdtpayClient        *self,
                                                  const char           *id,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
UsdtpayOrder  *usdtpay_client_get_order_finish   (UsdtpayClient        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* POST /v1/orders/{id}/@action ("accept", "confirm", "dispute"); @reason
 * goes with "dispute" only and may be NULL. Returns the order. */
void           usdtpay_client_order_action_async  (UsdtpayClient       *self,
                                                   const char          *id,
                                                   const char          *action,
                                                   const char          *reason,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
UsdtpayOrder  *usdtpay_client_order_action_finish (UsdtpayClient       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* GET @path_and_query (which starts with "/v1/"); returns the answer
 * object (GET /v1/platform-keys, /v1/receipts/{id}, …). */
void           usdtpay_client_get_object_async    (UsdtpayClient       *self,
                                                   const char          *path_and_query,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
JsonObject    *usdtpay_client_get_object_finish   (UsdtpayClient       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* POST @body (may be NULL for `{}`) to @path_and_query; returns the answer
 * object (support's resolve, suspend and unsuspend). */
void           usdtpay_client_post_object_async   (UsdtpayClient       *self,
                                                   const char          *path_and_query,
                                                   JsonNode            *body,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
JsonObject    *usdtpay_client_post_object_finish  (UsdtpayClient       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Whether @error is a transport failure (no answer from the platform), after
 * which a request the platform makes idempotent may be sent again. */
gboolean       usdtpay_client_error_is_transport  (const GError        *error);

G_END_DECLS
