/* usdtpay-qr.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-qr"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "usdtpay-core.h"
#include "usdtpay-qr.h"

#define QUIET_ZONE 4
#define MAX_SCALE  32

static void
png_write_cb (png_structp  png,
              png_bytep    data,
              png_size_t   length)
{
  g_byte_array_append (png_get_io_ptr (png), data, length);
}

static void
png_flush_cb (png_structp png)
{
}

static void
png_error_cb (png_structp     png,
              png_const_charp message)
{
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp     png,
                png_const_charp message)
{
}

/* Kept apart from usdtpay_qr_png() so that nothing but libpng's own
 * structures lives across the setjmp(). */
static gboolean
write_png (GByteArray   *out,
           const QRcode *code,
           guint         scale,
           guint8       *row)
{
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, png_error_cb, png_warning_cb);
  png_infop info = png ? png_create_info_struct (png) : NULL;
  guint size = (code->width + 2 * QUIET_ZONE) * scale;

  if (png == NULL || info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      return FALSE;
    }

  png_set_write_fn (png, out, png_write_cb, png_flush_cb);
  png_set_IHDR (png, info, size, size, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);

  for (guint y = 0; y < size; y++)
    {
      int my = (int)(y / scale) - QUIET_ZONE;

      for (guint x = 0; x < size; x++)
        {
          int mx = (int)(x / scale) - QUIET_ZONE;
          gboolean dark = mx >= 0 && my >= 0 && mx < code->width && my < code->width &&
                          (code->data[my * code->width + mx] & 1);

          row[x] = dark ? 0 : 255;
        }
      png_write_row (png, row);
    }
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);

  return TRUE;
}

GBytes *
usdtpay_qr_png (const char  *text,
                guint        scale,
                GError     **error)
{
  g_autoptr(GByteArray) out = NULL;
  g_autofree guint8 *row = NULL;
  QRcode *code;
  gboolean written;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (scale > 0 && scale <= MAX_SCALE, NULL);

  code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  if (code == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "cannot encode the text as a QR code: %s", g_strerror (errno));
      return NULL;
    }

  out = g_byte_array_sized_new (1024);
  row = g_malloc ((code->width + 2 * QUIET_ZONE) * scale);
  written = write_png (out, code, scale, row);
  QRcode_free (code);
  if (!written)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "cannot write the PNG");
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
