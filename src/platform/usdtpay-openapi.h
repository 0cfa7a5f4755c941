/* usdtpay-openapi.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  const char *method;
  const char *path;    /* with {parameters} as in the OpenAPI document */
} UsdtpayRoute;

/* Every route the server answers, the table tests check the OpenAPI
 * document (data/openapi.json) and the server against. A route added to
 * the server belongs here and in the document. */
const UsdtpayRoute *usdtpay_openapi_routes (guint             *n_routes);
/* GET /v1/openapi.json */
void                usdtpay_openapi_serve  (SoupServerMessage *msg,
                                            const char        *method);

G_END_DECLS
