/* usdtpay-wal-vfs.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-wal-vfs"

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "usdtpay-wal-vfs.h"

/* A shim over the default VFS. A database file and its log are wrapped; any
 * other file (temporary files, a rollback journal) is the default VFS's own.
 *
 * The log keeps one run of contiguous writes in memory. Anything that could
 * look at the file — SQLite reading it, asking its size, truncating it,
 * syncing it, closing it — writes the run first. Other connections read a
 * frame only after the writer has published it in the wal-index, and the
 * writer calls the database file's xShmBarrier before it publishes: the
 * barrier writes the run too. So the log never holds a frame in memory
 * that anyone may read. A write that fails surfaces at that point as an
 * I/O error of the call that flushed, and SQLite rolls the transaction
 * back as it would for a failed write. */

#define SHIM_VFS_NAME "usdtpay-wal"

/* The default VFS writes at most 128 KiB - 1 bytes in one call (os_unix.c
 * masks the length with 0x1ffff; longer writes fail as a full disk), so a
 * run goes out before it would pass that: thirty-one frames of 4 KiB. */
#define MAX_PENDING 0x1ffff

typedef struct _ShimFile ShimFile;

struct _ShimFile
{
  sqlite3_file base;
  sqlite3_file *real;

  /* A database: its log while that is open. A log: its database. */
  ShimFile *peer;

  /* A log: the writes not yet made. */
  char *pending;
  sqlite3_int64 pending_offset;
  size_t pending_len;
};

#define SHIM_FILE_SIZE ((sizeof (ShimFile) + 7) & ~(size_t)7)

static sqlite3_vfs *root_vfs;
static sqlite3_vfs shim_vfs;

static const sqlite3_io_methods database_methods;
static const sqlite3_io_methods log_methods;

/* Calls passed on to the default VFS's file as they are. */

static int
shim_read (sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xRead (real, data, amount, offset);
}

static int
shim_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xWrite (real, data, amount, offset);
}

static int
shim_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xTruncate (real, size);
}

static int
shim_sync (sqlite3_file *file, int flags)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xSync (real, flags);
}

static int
shim_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xFileSize (real, size);
}

static int
log_flush (ShimFile *self)
{
  int rc;

  if (self->pending_len == 0)
    return SQLITE_OK;

  rc = self->real->pMethods->xWrite (self->real, self->pending, (int)self->pending_len,
                                     self->pending_offset);
  self->pending_len = 0;

  return rc;
}

static int
log_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
  ShimFile *self = (ShimFile *)file;
  int rc;

  if (self->pending_len > 0
      && (offset != self->pending_offset + (sqlite3_int64)self->pending_len
          || self->pending_len + (size_t)amount > MAX_PENDING))
    {
      rc = log_flush (self);
      if (rc != SQLITE_OK)
        return rc;
    }

  if ((size_t)amount > MAX_PENDING)
    return self->real->pMethods->xWrite (self->real, data, amount, offset);

  if (self->pending == NULL)
    {
      self->pending = sqlite3_malloc (MAX_PENDING);
      if (self->pending == NULL)
        return self->real->pMethods->xWrite (self->real, data, amount, offset);
    }
  if (self->pending_len == 0)
    self->pending_offset = offset;

  memcpy (self->pending + self->pending_len, data, amount);
  self->pending_len += amount;

  return SQLITE_OK;
}

static int
log_close (sqlite3_file *file)
{
  ShimFile *self = (ShimFile *)file;
  int rc = log_flush (self);
  int close_rc = self->real->pMethods->xClose (self->real);

  if (self->peer != NULL)
    self->peer->peer = NULL;
  self->peer = NULL;
  sqlite3_free (self->pending);
  self->pending = NULL;

  return rc != SQLITE_OK ? rc : close_rc;
}

static int
log_read (sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
  ShimFile *self = (ShimFile *)file;
  int rc = log_flush (self);

  if (rc != SQLITE_OK)
    return rc;

  return shim_read (file, data, amount, offset);
}

static int
log_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  ShimFile *self = (ShimFile *)file;
  int rc = log_flush (self);

  if (rc != SQLITE_OK)
    return rc;

  return shim_truncate (file, size);
}

static int
log_sync (sqlite3_file *file, int flags)
{
  ShimFile *self = (ShimFile *)file;
  int rc = log_flush (self);

  if (rc != SQLITE_OK)
    return rc;

  return shim_sync (file, flags);
}

static int
log_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  ShimFile *self = (ShimFile *)file;
  int rc = log_flush (self);

  if (rc != SQLITE_OK)
    return rc;

  return shim_file_size (file, size);
}

/* The log's and the database's calls that need no flush. */

static int
shim_lock (sqlite3_file *file, int lock)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xLock (real, lock);
}

static int
shim_unlock (sqlite3_file *file, int lock)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xUnlock (real, lock);
}

static int
shim_check_reserved_lock (sqlite3_file *file, int *out)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xCheckReservedLock (real, out);
}

static int
shim_file_control (sqlite3_file *file, int op, void *arg)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xFileControl (real, op, arg);
}

static int
shim_sector_size (sqlite3_file *file)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xSectorSize (real);
}

static int
shim_device_characteristics (sqlite3_file *file)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xDeviceCharacteristics (real);
}

static const sqlite3_io_methods log_methods = {
  .iVersion = 1,
  .xClose = log_close,
  .xRead = log_read,
  .xWrite = log_write,
  .xTruncate = log_truncate,
  .xSync = log_sync,
  .xFileSize = log_file_size,
  .xLock = shim_lock,
  .xUnlock = shim_unlock,
  .xCheckReservedLock = shim_check_reserved_lock,
  .xFileControl = shim_file_control,
  .xSectorSize = shim_sector_size,
  .xDeviceCharacteristics = shim_device_characteristics,
};

/* The database file: the default VFS's, but its shared-memory barrier
 * first writes its log's pending frames. */

static int
database_close (sqlite3_file *file)
{
  ShimFile *self = (ShimFile *)file;

  if (self->peer != NULL)
    self->peer->peer = NULL;
  self->peer = NULL;

  return self->real->pMethods->xClose (self->real);
}

static int
database_shm_map (sqlite3_file *file, int region, int region_size, int extend, void volatile **out)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xShmMap (real, region, region_size, extend, out);
}

static int
database_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xShmLock (real, offset, n, flags);
}

static void
database_shm_barrier (sqlite3_file *file)
{
  ShimFile *self = (ShimFile *)file;

  /* The writer is about to publish frames (walIndexWriteHdr). With
   * synchronous=FULL, as the store runs, the log was synced, and so
   * written, before this; the barrier is what keeps a connection that does
   * not sync at commit correct. A barrier cannot report an error: a reader
   * of a frame that failed to reach the file gets a short read (an I/O
   * error), never wrong data. */
  if (self->peer != NULL && log_flush (self->peer) != SQLITE_OK)
    g_critical ("Could not write the database's log ahead of publishing it");

  self->real->pMethods->xShmBarrier (self->real);
}

static int
database_shm_unmap (sqlite3_file *file, int delete_flag)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xShmUnmap (real, delete_flag);
}

static int
database_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xFetch (real, offset, amount, out);
}

static int
database_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *data)
{
  sqlite3_file *real = ((ShimFile *)file)->real;

  return real->pMethods->xUnfetch (real, offset, data);
}

static const sqlite3_io_methods database_methods = {
  .iVersion = 3,
  .xClose = database_close,
  .xRead = shim_read,
  .xWrite = shim_write,
  .xTruncate = shim_truncate,
  .xSync = shim_sync,
  .xFileSize = shim_file_size,
  .xLock = shim_lock,
  .xUnlock = shim_unlock,
  .xCheckReservedLock = shim_check_reserved_lock,
  .xFileControl = shim_file_control,
  .xSectorSize = shim_sector_size,
  .xDeviceCharacteristics = shim_device_characteristics,
  .xShmMap = database_shm_map,
  .xShmLock = database_shm_lock,
  .xShmBarrier = database_shm_barrier,
  .xShmUnmap = database_shm_unmap,
  .xFetch = database_fetch,
  .xUnfetch = database_unfetch,
};

static int
shim_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  ShimFile *self = (ShimFile *)file;
  gboolean is_log = (flags & SQLITE_OPEN_WAL) != 0;
  int rc;

  /* Anything but a database and its log is the default VFS's file, in the
   * same memory. */
  if (!is_log && !(flags & SQLITE_OPEN_MAIN_DB))
    return root_vfs->xOpen (root_vfs, name, file, flags, out_flags);

  memset (self, 0, sizeof *self);
  self->real = (sqlite3_file *)((char *)file + SHIM_FILE_SIZE);
  rc = root_vfs->xOpen (root_vfs, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK)
    {
      if (self->real->pMethods != NULL)
        self->real->pMethods->xClose (self->real);
      self->base.pMethods = NULL;
      return rc;
    }

  if (!is_log && self->real->pMethods->iVersion < 3)
    {
      /* No shared memory to guard: the database keeps the default methods
       * (a log opened for it then flushes at sync). */
      self->real->pMethods->xClose (self->real);
      return root_vfs->xOpen (root_vfs, name, file, flags, out_flags);
    }

  self->base.pMethods = is_log ? &log_methods : &database_methods;
  if (is_log)
    {
      sqlite3_file *database = sqlite3_database_file_object (name);

      if (database != NULL && database->pMethods == &database_methods)
        {
          self->peer = (ShimFile *)database;
          self->peer->peer = self;
        }
    }

  return SQLITE_OK;
}

static gpointer
register_vfs (gpointer data)
{
  root_vfs = sqlite3_vfs_find (NULL);
  g_assert (root_vfs != NULL);

  /* The default VFS's other calls are made through a copy of it: they read
   * only its pAppData, which the copy keeps. */
  shim_vfs = *root_vfs;
  shim_vfs.szOsFile = (int)SHIM_FILE_SIZE + root_vfs->szOsFile;
  shim_vfs.pNext = NULL;
  shim_vfs.zName = SHIM_VFS_NAME;
  shim_vfs.xOpen = shim_open;

  if (sqlite3_vfs_register (&shim_vfs, 0) != SQLITE_OK)
    g_error ("Could not register the SQLite VFS %s", SHIM_VFS_NAME);

  return NULL;
}

const char *
usdtpay_wal_vfs_get_name (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_vfs, NULL);

  return SHIM_VFS_NAME;
}
