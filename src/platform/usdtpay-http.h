/* usdtpay-http.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include <json-glib/json-glib.h>

#include "usdtpay-error.h"

G_BEGIN_DECLS

/* The largest request body the API takes (413 above it). */
#define USDTPAY_MAX_BODY (64 * 1024)

/* The JSON answers and request bodies of the platform's API, the same for
 * every module that serves part of it (DESIGN.md: errors, limits). */

/* Answers @status with the JSON @body (none for 204), uncacheable, and
 * corked so that headers and body leave as one segment. */
void      usdtpay_http_respond_bytes              (SoupServerMessage  *msg,
                                                   guint               status,
                                                   GBytes             *body);
void      usdtpay_http_respond_node               (SoupServerMessage  *msg,
                                                   guint               status,
                                                   JsonNode           *node);
/* `{"error":{"code","message"}}` with the status of @error's code, and a
 * Bearer challenge for a 401. */
void      usdtpay_http_respond_error              (SoupServerMessage  *msg,
                                                   const GError       *error);
void      usdtpay_http_respond_new_error          (SoupServerMessage  *msg,
                                                   UsdtpayErrorCode    code,
                                                   const char         *message);
/* 405 with the methods @allow names. */
void      usdtpay_http_respond_method_not_allowed (SoupServerMessage  *msg,
                                                   const char         *allow);
GBytes   *usdtpay_http_error_bytes                (const GError       *error);
GBytes   *usdtpay_http_node_bytes                 (JsonNode           *node);

/* The request's body as a strict JSON object, at most USDTPAY_MAX_BODY
 * bytes; an empty body gives NULL without error when @optional. */
gboolean  usdtpay_http_parse_body                 (SoupServerMessage  *msg,
                                                   gboolean            optional,
                                                   JsonObject        **out,
                                                   GError            **error);

G_END_DECLS
