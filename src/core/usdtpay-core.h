/* usdtpay-core.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-csv.h"
#include "usdtpay-error.h"
#include "usdtpay-event.h"
#include "usdtpay-json.h"
#include "usdtpay-money.h"
#include "usdtpay-order.h"
#include "usdtpay-order-state.h"
#include "usdtpay-receipt.h"
#include "usdtpay-time.h"
