/* usdtpay-wal-vfs.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The name of an SQLite VFS, registered on first use, that is the default
 * VFS except for one thing: a connection's contiguous writes to its
 * write-ahead log are gathered, up to 128 KiB, and reach the file when
 * SQLite syncs the log, reads it, or publishes new frames to readers (its
 * shared-memory barrier). SQLite writes each WAL frame as two writes
 * (header, page), so a group commit of forty pages was eighty system
 * calls; it is now two. What SQLite and other connections can read is
 * unchanged. */
const char *usdtpay_wal_vfs_get_name (void);

G_END_DECLS
