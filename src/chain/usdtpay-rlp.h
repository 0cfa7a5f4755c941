/* usdtpay-rlp.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "usdtpay-uint256.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_RLP_ITEM (usdtpay_rlp_item_get_type ())

/* A node of an RLP tree: a byte string or a list of nodes. Reference
 * counted; a list owns its children.
 */
typedef struct _UsdtpayRlpItem UsdtpayRlpItem;

GType            usdtpay_rlp_item_get_type       (void) G_GNUC_CONST;
UsdtpayRlpItem  *usdtpay_rlp_item_new_bytes      (const guint8         *data,
                                                  gsize                 len);
UsdtpayRlpItem  *usdtpay_rlp_item_new_gbytes     (GBytes               *bytes);
UsdtpayRlpItem  *usdtpay_rlp_item_new_uint64     (guint64               value);
UsdtpayRlpItem  *usdtpay_rlp_item_new_uint256    (const UsdtpayUint256 *value);
UsdtpayRlpItem  *usdtpay_rlp_item_new_list       (void);
UsdtpayRlpItem  *usdtpay_rlp_item_ref            (UsdtpayRlpItem       *self);
void             usdtpay_rlp_item_unref          (UsdtpayRlpItem       *self);
void             usdtpay_rlp_item_append         (UsdtpayRlpItem       *self,
                                                  UsdtpayRlpItem       *child);
gboolean         usdtpay_rlp_item_is_list        (const UsdtpayRlpItem *self);
const guint8    *usdtpay_rlp_item_get_data       (const UsdtpayRlpItem *self,
                                                  gsize                *len);
guint            usdtpay_rlp_item_get_n_items    (const UsdtpayRlpItem *self);
UsdtpayRlpItem  *usdtpay_rlp_item_get_item       (const UsdtpayRlpItem *self,
                                                  guint                 index);
gboolean         usdtpay_rlp_item_get_uint64     (const UsdtpayRlpItem *self,
                                                  guint64              *out,
                                                  GError              **error);
gboolean         usdtpay_rlp_item_get_uint256    (const UsdtpayRlpItem *self,
                                                  UsdtpayUint256       *out,
                                                  GError              **error);
GBytes          *usdtpay_rlp_encode              (const UsdtpayRlpItem *item);
UsdtpayRlpItem  *usdtpay_rlp_decode              (const guint8         *data,
                                                  gsize                 len,
                                                  GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayRlpItem, usdtpay_rlp_item_unref)

G_END_DECLS
