/* usdtpay-hot-wallet.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-hot-wallet"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "usdtpay-core.h"
#include "usdtpay-hot-wallet.h"

static gboolean
set_errno_error (GError     **error,
                 int          saved,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s %s: %s", what, path,
               g_strerror (saved));

  return FALSE;
}

UsdtpayKey *
usdtpay_hot_wallet_create (const char  *path,
                           GError     **error)
{
  g_autoptr(UsdtpayKey) key = NULL;
  char *hex = NULL;
  gsize length;
  gssize written = 0;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_errno_error (error, errno, errno == EEXIST ? "refusing to overwrite" : "cannot create", path);
      return NULL;
    }
  /* Whatever the umask said, owner only. */
  if (fchmod (fd, 0600) != 0)
    {
      set_errno_error (error, errno, "cannot chmod", path);
      close (fd);
      unlink (path);
      return NULL;
    }

  key = usdtpay_key_new_random ();
  hex = usdtpay_key_dup_secret_hex (key);
  length = strlen (hex);
  hex = g_realloc (hex, length + 2);
  hex[length] = '\n';
  hex[length + 1] = '\0';

  while ((gsize)written < length + 1)
    {
      gssize n = write (fd, hex + written, length + 1 - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          set_errno_error (error, errno, "cannot write", path);
          sodium_memzero (hex, length + 1);
          g_free (hex);
          close (fd);
          unlink (path);
          return NULL;
        }
      written += n;
    }
  sodium_memzero (hex, length + 1);
  g_free (hex);

  if (fsync (fd) != 0 || close (fd) != 0)
    {
      set_errno_error (error, errno, "cannot sync", path);
      unlink (path);
      return NULL;
    }

  return g_steal_pointer (&key);
}

UsdtpayKey *
usdtpay_hot_wallet_load (const char  *path,
                         GError     **error)
{
  char buffer[256];
  gsize length = 0;
  struct stat st;
  UsdtpayKey *key;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      set_errno_error (error, errno, "cannot open the wallet key", path);
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, "cannot stat the wallet key", path);
      close (fd);
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 077) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN,
                   "refusing the wallet key %s: it must be a regular file of ours that only we may "
                   "read (chmod 600), not mode %03o", path, (guint)(st.st_mode & 0777));
      close (fd);
      return NULL;
    }

  while (length < sizeof buffer - 1)
    {
      gssize n = read (fd, buffer + length, sizeof buffer - 1 - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (error, errno, "cannot read the wallet key", path);
          sodium_memzero (buffer, sizeof buffer);
          close (fd);
          return NULL;
        }
      if (n == 0)
        break;
      length += n;
    }
  close (fd);
  buffer[length] = '\0';
  g_strstrip (buffer);

  key = usdtpay_key_new_from_hex (buffer, NULL);
  sodium_memzero (buffer, sizeof buffer);
  if (key == NULL)
    {
      /* Not the parser's message: it might quote the file. */
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "the wallet key %s does not hold a secp256k1 secret as 64 hex digits", path);
      return NULL;
    }

  return key;
}
