/* test-wal-vfs.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "usdtpay-wal-vfs.h"

/* The shim is tested over a counting VFS registered as the default before
 * it: every write that reaches a log file is counted there. */

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs  counting_vfs;
static sqlite3_io_methods counting_methods;
static guint log_writes;

typedef struct
{
  sqlite3_file  base;
  sqlite3_file *real;
  gboolean      is_log;
} CountingFile;

#define COUNTING_FILE_SIZE ((sizeof (CountingFile) + 7) & ~(size_t)7)

static int
counting_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
  CountingFile *self = (CountingFile *)file;

  if (self->is_log)
    log_writes++;
  return self->real->pMethods->xWrite (self->real, data, amount, offset);
}

#define PASS(name, sig, ...) \
  static int counting_##name sig { sqlite3_file *real = ((CountingFile *)file)->real; return real->pMethods->x##name (real __VA_ARGS__); }

PASS (Close, (sqlite3_file *file), )
PASS (Read, (sqlite3_file *file, void *d, int n, sqlite3_int64 o), , d, n, o)
PASS (Truncate, (sqlite3_file *file, sqlite3_int64 s), , s)
PASS (Sync, (sqlite3_file *file, int f), , f)
PASS (FileSize, (sqlite3_file *file, sqlite3_int64 *s), , s)
PASS (Lock, (sqlite3_file *file, int l), , l)
PASS (Unlock, (sqlite3_file *file, int l), , l)
PASS (CheckReservedLock, (sqlite3_file *file, int *o), , o)
PASS (FileControl, (sqlite3_file *file, int op, void *a), , op, a)
PASS (SectorSize, (sqlite3_file *file), )
PASS (DeviceCharacteristics, (sqlite3_file *file), )
PASS (ShmMap, (sqlite3_file *file, int r, int s, int e, void volatile **o), , r, s, e, o)
PASS (ShmLock, (sqlite3_file *file, int o, int n, int f), , o, n, f)
PASS (ShmUnmap, (sqlite3_file *file, int d), , d)
PASS (Fetch, (sqlite3_file *file, sqlite3_int64 o, int n, void **p), , o, n, p)
PASS (Unfetch, (sqlite3_file *file, sqlite3_int64 o, void *p), , o, p)

static void
counting_ShmBarrier (sqlite3_file *file)
{
  sqlite3_file *real = ((CountingFile *)file)->real;

  real->pMethods->xShmBarrier (real);
}

static int
counting_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  CountingFile *self = (CountingFile *)file;
  int rc;

  self->real = (sqlite3_file *)((char *)file + COUNTING_FILE_SIZE);
  self->is_log = (flags & SQLITE_OPEN_WAL) != 0;
  rc = unix_vfs->xOpen (unix_vfs, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK)
    {
      self->base.pMethods = NULL;
      return rc;
    }
  self->base.pMethods = &counting_methods;
  return SQLITE_OK;
}

static void
register_counting_vfs (void)
{
  unix_vfs = sqlite3_vfs_find ("unix");
  counting_vfs = *unix_vfs;
  counting_vfs.zName = "counting";
  counting_vfs.szOsFile = (int)COUNTING_FILE_SIZE + unix_vfs->szOsFile;
  counting_vfs.xOpen = counting_open;
  counting_methods = (sqlite3_io_methods){
    3, counting_Close, counting_Read, counting_write, counting_Truncate, counting_Sync,
    counting_FileSize, counting_Lock, counting_Unlock, counting_CheckReservedLock,
    counting_FileControl, counting_SectorSize, counting_DeviceCharacteristics, counting_ShmMap,
    counting_ShmLock, counting_ShmBarrier, counting_ShmUnmap, counting_Fetch, counting_Unfetch,
  };
  g_assert_cmpint (sqlite3_vfs_register (&counting_vfs, 1), ==, SQLITE_OK);
}

static void
exec (sqlite3 *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static gint64
query_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static void
assert_intact (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
}

typedef struct
{
  char    *dir;
  char    *path;
  sqlite3 *writer;
  sqlite3 *reader;
} Fixture;

static void
fixture_set_up (Fixture *f, const char *synchronous)
{
  g_autofree char *pragmas = g_strdup_printf ("PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
                                              " PRAGMA wal_autocheckpoint = 0;"
                                              " PRAGMA cache_size = 20;",
                                              synchronous);

  f->dir = g_dir_make_tmp ("usdtpay-wal-vfs-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "t.db", NULL);
  g_assert_cmpint (sqlite3_open_v2 (f->path, &f->writer,
                                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                    usdtpay_wal_vfs_get_name ()),
                   ==, SQLITE_OK);
  exec (f->writer, pragmas);
  exec (f->writer, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  /* A reader on the plain VFS, as the store's readers and checkpointer. */
  g_assert_cmpint (sqlite3_open_v2 (f->path, &f->reader, SQLITE_OPEN_READONLY, "unix"), ==, SQLITE_OK);
}

static void
fixture_tear_down (Fixture *f)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  sqlite3_close (f->reader);
  sqlite3_close (f->writer);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* Commits @n rows of @size bytes in one transaction. */
static void
insert_rows (sqlite3 *db, gint64 first, guint n, int size)
{
  g_autofree char *sql = g_strdup_printf ("WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s"
                                          " WHERE i + 1 < %u)"
                                          " INSERT INTO t (k, v) SELECT %" G_GINT64_FORMAT " + i,"
                                          " randomblob(%d) FROM s",
                                          n, first, size);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_error ("%s: %s (%d)", sql, sqlite3_errmsg (db), sqlite3_extended_errcode (db));
  sqlite3_finalize (stmt);
}

/* A commit of many pages reaches the log in one write, where SQLite alone
 * makes two per page; and what was committed is there for a reader and
 * after reopening. */
static void
test_commit_is_one_write (void)
{
  Fixture f = { 0 };

  fixture_set_up (&f, "FULL");
  insert_rows (f.writer, 0, 10, 100);

  log_writes = 0;
  exec (f.writer, "BEGIN");
  insert_rows (f.writer, 1000, 15, 3000);
  exec (f.writer, "COMMIT");
  g_test_message ("log writes for a 15-page commit: %u", log_writes);
  g_assert_cmpuint (log_writes, ==, 1);

  g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t"), ==, 25);
  g_assert_cmpint (query_int (f.reader, "SELECT sum(length(v)) FROM t"), ==, 10 * 100 + 15 * 3000);

  sqlite3_close (f.writer);
  f.writer = NULL;
  g_assert_cmpint (sqlite3_open_v2 (f.path, &f.writer, SQLITE_OPEN_READWRITE, usdtpay_wal_vfs_get_name ()),
                   ==, SQLITE_OK);
  g_assert_cmpint (query_int (f.writer, "SELECT count(*) FROM t"), ==, 25);
  assert_intact (f.writer);
  fixture_tear_down (&f);
}

/* Without a sync at commit, frames are published through the shared-memory
 * barrier: a reader on another connection sees every commit whole at once. */
static void
test_readers_see_every_commit_without_sync (void)
{
  Fixture f = { 0 };

  fixture_set_up (&f, "OFF");
  for (guint i = 0; i < 50; i++)
    {
      exec (f.writer, "BEGIN");
      insert_rows (f.writer, i * 100, 7, 900);
      exec (f.writer, "COMMIT");
      g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t"), ==, (i + 1) * 7);
      g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t WHERE length(v) != 900"), ==, 0);
    }
  fixture_tear_down (&f);
}

/* A transaction bigger than the page cache spills frames mid-way and reads
 * pages back from the log; one bigger than the buffer goes out in pieces;
 * a rolled-back one leaves nothing; a checkpoint on the reader's side
 * copies what the writer wrote. */
static void
test_large_spilled_and_rolled_back (void)
{
  Fixture f = { 0 };
  int log_frames = -1, checkpointed = -1;

  fixture_set_up (&f, "FULL");
  exec (f.writer, "BEGIN");
  insert_rows (f.writer, 0, 2000, 1500);
  exec (f.writer, "UPDATE t SET v = randomblob(1400) WHERE k % 3 = 0");
  exec (f.writer, "COMMIT");
  g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t"), ==, 2000);
  g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t WHERE length(v) = 1400"), ==, 667);

  exec (f.writer, "BEGIN");
  insert_rows (f.writer, 10000, 500, 1500);
  exec (f.writer, "ROLLBACK");
  g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t"), ==, 2000);
  g_assert_cmpint (query_int (f.writer, "SELECT count(*) FROM t"), ==, 2000);

  g_assert_cmpint (sqlite3_wal_checkpoint_v2 (f.writer, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                              &checkpointed),
                   ==, SQLITE_OK);
  insert_rows (f.writer, 20000, 3, 10);
  g_assert_cmpint (query_int (f.reader, "SELECT count(*) FROM t"), ==, 2003);
  assert_intact (f.writer);
  fixture_tear_down (&f);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  register_counting_vfs ();

  g_test_add_func ("/wal-vfs/commit-is-one-write", test_commit_is_one_write);
  g_test_add_func ("/wal-vfs/readers-see-every-commit-without-sync", test_readers_see_every_commit_without_sync);
  g_test_add_func ("/wal-vfs/large-spilled-and-rolled-back", test_large_spilled_and_rolled_back);

  return g_test_run ();
}
