/* usdtpay-json.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "usdtpay-error.h"
#include "usdtpay-json.h"
#include "usdtpay-money.h"

/* The validator is one recursive-descent pass over the bytes. Depth is
 * bounded by USDTPAY_JSON_MAX_DEPTH, so the recursion is too. */

/* Duplicate keys are found by linear search while an object is small and
 * with a hash set once it grows. */
#define SMALL_OBJECT_KEYS 32

/* Longest member path usdtpay_json_pick() follows. */
#define PICK_PATH_MAX 256

typedef struct
{
  const guchar    *start;
  const guchar    *p;
  const guchar    *end;
  GError         **error;

  /* usdtpay_json_pick(): the path of the object being read, and whether a
   * pick may lie below it. */
  UsdtpayJsonPick *picks;
  guint            n_picks;
  gboolean         tracking;
  gsize            path_len;
  char             path[PICK_PATH_MAX];
} Validator;

typedef struct
{
  const char *data;
  gsize       len;
} Key;

static gboolean validate_value (Validator *v,
                                guint      depth);

static gboolean G_GNUC_PRINTF (3, 4)
fail_at (Validator    *v,
         const guchar *where,
         const char   *format,
         ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (v->error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON,
               "malformed JSON at byte %" G_GSIZE_FORMAT ": %s",
               (gsize)(where - v->start), reason);
  return FALSE;
}

static gboolean
fail_unexpected (Validator  *v,
                 const char *expected)
{
  if (v->p >= v->end)
    return fail_at (v, v->p, "unexpected end of input, expected %s", expected);

  switch (*v->p)
    {
    case '\0':
      return fail_at (v, v->p, "NUL byte, expected %s", expected);
    case '/':
      return fail_at (v, v->p, "comments are not allowed");
    case '\'':
      return fail_at (v, v->p, "single quotes are not allowed");
    default:
      if (*v->p >= 0x20 && *v->p < 0x7f)
        return fail_at (v, v->p, "unexpected '%c', expected %s", *v->p, expected);
      return fail_at (v, v->p, "unexpected byte 0x%02x, expected %s", *v->p, expected);
    }
}

static inline void
skip_whitespace (Validator *v)
{
  while (v->p < v->end &&
         (*v->p == ' ' || *v->p == '\n' || *v->p == '\r' || *v->p == '\t'))
    v->p++;
}

static inline int
hex_value (guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_u_escape (Validator *v,
               gunichar  *out)
{
  /* v->p points after "\u". */
  gunichar value = 0;

  if (v->end - v->p < 4)
    return fail_at (v, v->p, "truncated \\u escape");

  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (v->p[i]);

      if (h < 0)
        return fail_at (v, v->p + i, "bad hex digit in \\u escape");
      value = (value << 4) | (gunichar)h;
    }

  v->p += 4;
  *out = value;
  return TRUE;
}

/* Checks one UTF-8 sequence starting at v->p (a byte >= 0x80) and moves
 * past it. Refuses overlong forms, UTF-16 surrogates and code points above
 * U+10FFFF (RFC 3629). */
static gboolean
skip_utf8 (Validator *v)
{
  const guchar *s = v->p;
  gsize avail = v->end - s;
  guchar c = s[0];
  guint n;
  guchar lo = 0x80, hi = 0xbf;

  if (c >= 0xc2 && c <= 0xdf)
    n = 1;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 2;
      if (c == 0xe0)
        lo = 0xa0;           /* overlong */
      else if (c == 0xed)
        hi = 0x9f;           /* surrogates */
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 3;
      if (c == 0xf0)
        lo = 0x90;           /* overlong */
      else if (c == 0xf4)
        hi = 0x8f;           /* above U+10FFFF */
    }
  else if (c == 0xc0 || c == 0xc1)
    return fail_at (v, s, "invalid UTF-8 (overlong encoding)");
  else if (c >= 0x80 && c <= 0xbf)
    return fail_at (v, s, "invalid UTF-8 (unexpected continuation byte)");
  else
    return fail_at (v, s, "invalid UTF-8 (byte 0x%02x)", c);

  if (avail < n + 1)
    return fail_at (v, s, "invalid UTF-8 (truncated sequence)");

  if (s[1] < lo || s[1] > hi)
    {
      if (c == 0xed && s[1] >= 0xa0 && s[1] <= 0xbf)
        return fail_at (v, s, "invalid UTF-8 (encoded surrogate)");
      if (c == 0xf4 && s[1] >= 0x90 && s[1] <= 0xbf)
        return fail_at (v, s, "invalid UTF-8 (beyond U+10FFFF)");
      if ((c == 0xe0 || c == 0xf0) && s[1] >= 0x80 && s[1] <= 0xbf)
        return fail_at (v, s, "invalid UTF-8 (overlong encoding)");
      return fail_at (v, s + 1, "invalid UTF-8 (bad continuation byte)");
    }

  for (guint i = 2; i <= n; i++)
    {
      if (s[i] < 0x80 || s[i] > 0xbf)
        return fail_at (v, s + i, "invalid UTF-8 (bad continuation byte)");
    }

  v->p += n + 1;
  return TRUE;
}

/* v->p points at the opening quote. When @decoded is given, it is set to a
 * GString holding the decoded text if the string has escapes; otherwise the
 * raw bytes between the quotes are the text and @raw_len says how many. */
static gboolean
validate_string (Validator  *v,
                 GString   **decoded,
                 gsize      *raw_len)
{
  const guchar *content;
  GString *out = NULL;
  const guchar *run;

  g_assert (v->p < v->end && *v->p == '"');

  v->p++;
  content = v->p;
  run = v->p;

  for (;;)
    {
      guchar c;

      /* The common case: plain ASCII. */
      while (v->p < v->end && *v->p >= 0x20 && *v->p < 0x80 && *v->p != '"' && *v->p != '\\')
        v->p++;

      if (v->p >= v->end)
        {
          if (out != NULL)
            g_string_free (out, TRUE);
          return fail_at (v, content - 1, "unterminated string");
        }

      c = *v->p;

      if (c == '"')
        {
          if (decoded != NULL)
            {
              if (out != NULL)
                g_string_append_len (out, (const char *)run, v->p - run);
              *decoded = out;
              *raw_len = v->p - content;
            }
          v->p++;
          return TRUE;
        }
      else if (c == '\\')
        {
          const guchar *escape = v->p;
          gunichar ch;

          if (decoded != NULL)
            {
              if (out == NULL)
                out = g_string_sized_new (v->p - content + 16);
              g_string_append_len (out, (const char *)run, v->p - run);
            }

          v->p++;
          if (v->p >= v->end)
            goto fail_truncated;

          switch (*v->p++)
            {
            case '"':  ch = '"';  break;
            case '\\': ch = '\\'; break;
            case '/':  ch = '/';  break;
            case 'b':  ch = '\b'; break;
            case 'f':  ch = '\f'; break;
            case 'n':  ch = '\n'; break;
            case 'r':  ch = '\r'; break;
            case 't':  ch = '\t'; break;
            case 'u':
              if (!read_u_escape (v, &ch))
                goto fail_freed;
              if (ch == 0)
                {
                  fail_at (v, escape, "\\u0000 is not allowed");
                  goto fail_freed;
                }
              if (ch >= 0xdc00 && ch <= 0xdfff)
                {
                  fail_at (v, escape, "lone low surrogate \\u%04X", ch);
                  goto fail_freed;
                }
              if (ch >= 0xd800 && ch <= 0xdbff)
                {
                  gunichar low;

                  if (v->end - v->p < 2 || v->p[0] != '\\' || v->p[1] != 'u')
                    {
                      fail_at (v, escape, "high surrogate \\u%04X without a low one", ch);
                      goto fail_freed;
                    }
                  v->p += 2;
                  if (!read_u_escape (v, &low))
                    goto fail_freed;
                  if (low < 0xdc00 || low > 0xdfff)
                    {
                      fail_at (v, escape, "high surrogate \\u%04X followed by \\u%04X", ch, low);
                      goto fail_freed;
                    }
                  ch = 0x10000 + ((ch - 0xd800) << 10) + (low - 0xdc00);
                }
              break;
            default:
              fail_at (v, escape, "invalid escape");
              goto fail_freed;
            }

          if (out != NULL)
            g_string_append_unichar (out, ch);
          run = v->p;
        }
      else if (c < 0x20)
        {
          if (c == 0)
            fail_at (v, v->p, "NUL byte in string");
          else
            fail_at (v, v->p, "control character 0x%02x in string", c);
          goto fail_freed;
        }
      else
        {
          if (!skip_utf8 (v))
            goto fail_freed;
        }
    }

fail_truncated:
  fail_at (v, v->p, "unterminated escape");
fail_freed:
  if (out != NULL)
    g_string_free (out, TRUE);
  return FALSE;
}

/* The double a number's text [@start, @end) says (NUL-terminated for
 * g_ascii_strtod() on the stack when it is short, as numbers are). */
static double
parse_double (const guchar *start,
              const guchar *end)
{
  char stack_buf[64];
  g_autofree char *heap_buf = NULL;
  gsize len = end - start;
  char *token;

  if (len < sizeof stack_buf)
    {
      memcpy (stack_buf, start, len);
      stack_buf[len] = '\0';
      token = stack_buf;
    }
  else
    token = heap_buf = g_strndup ((const char *)start, len);

  return g_ascii_strtod (token, NULL);
}

static gboolean
validate_number (Validator *v)
{
  const guchar *start = v->p;
  gboolean negative = FALSE;
  gboolean is_integer = TRUE;

  if (*v->p == '-')
    {
      negative = TRUE;
      v->p++;
    }

  if (v->p >= v->end || !g_ascii_isdigit (*v->p))
    return fail_at (v, start, "a number needs digits");

  if (*v->p == '0')
    {
      v->p++;
      if (v->p < v->end && g_ascii_isdigit (*v->p))
        return fail_at (v, start, "leading zeros are not allowed");
    }
  else
    {
      while (v->p < v->end && g_ascii_isdigit (*v->p))
        v->p++;
    }

  if (v->p < v->end && *v->p == '.')
    {
      is_integer = FALSE;
      v->p++;
      if (v->p >= v->end || !g_ascii_isdigit (*v->p))
        return fail_at (v, start, "digits must follow the decimal point");
      while (v->p < v->end && g_ascii_isdigit (*v->p))
        v->p++;
    }

  if (v->p < v->end && (*v->p == 'e' || *v->p == 'E'))
    {
      is_integer = FALSE;
      v->p++;
      if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
        v->p++;
      if (v->p >= v->end || !g_ascii_isdigit (*v->p))
        return fail_at (v, start, "digits must follow the exponent");
      while (v->p < v->end && g_ascii_isdigit (*v->p))
        v->p++;
    }

  if (is_integer)
    {
      /* Magnitudes up to 2^63 for negatives, 2^63 - 1 otherwise. */
      guint64 limit = negative ? (guint64)G_MAXINT64 + 1 : (guint64)G_MAXINT64;
      guint64 value = 0;

      for (const guchar *d = start + negative; d < v->p; d++)
        {
          guint digit = *d - '0';

          if (value > (limit - digit) / 10)
            return fail_at (v, start, "integer out of the 64-bit range");
          value = value * 10 + digit;
        }
    }
  else if (isinf (parse_double (start, v->p)))
    return fail_at (v, start, "number out of the range of a double");

  return TRUE;
}

static gboolean
validate_literal (Validator  *v,
                  const char *word)
{
  gsize len = strlen (word);

  if ((gsize)(v->end - v->p) < len || memcmp (v->p, word, len) != 0)
    return fail_unexpected (v, "a value");

  v->p += len;
  return TRUE;
}

static guint
key_hash (gconstpointer key)
{
  const Key *k = key;
  guint h = 5381;

  for (gsize i = 0; i < k->len; i++)
    h = h * 33 + (guchar)k->data[i];
  return h;
}

static gboolean
key_equal (gconstpointer a,
           gconstpointer b)
{
  const Key *ka = a, *kb = b;

  return ka->len == kb->len && memcmp (ka->data, kb->data, ka->len) == 0;
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

/* Reads the value of member @key of the object at v->path, pointing the
 * pick of that path at it and following only paths some pick lies on. */
static gboolean
validate_member_value (Validator *v,
                       guint      depth,
                       const Key *key)
{
  gsize saved_len = v->path_len;
  UsdtpayJsonPick *found = NULL;
  gboolean below = FALSE;
  const guchar *value;
  gboolean ok;

  if (saved_len + 1 + key->len >= sizeof v->path || memchr (key->data, '.', key->len) != NULL)
    {
      v->tracking = FALSE;
      ok = validate_value (v, depth);
      v->tracking = TRUE;
      return ok;
    }

  if (saved_len > 0)
    v->path[v->path_len++] = '.';
  memcpy (v->path + v->path_len, key->data, key->len);
  v->path_len += key->len;
  v->path[v->path_len] = '\0';

  for (guint i = 0; i < v->n_picks; i++)
    {
      const char *path = v->picks[i].path;

      if (strncmp (path, v->path, v->path_len) != 0)
        continue;
      if (path[v->path_len] == '\0')
        found = &v->picks[i];
      else if (path[v->path_len] == '.')
        below = TRUE;
    }

  value = v->p;
  v->tracking = below;
  ok = validate_value (v, depth);
  v->tracking = TRUE;
  if (ok && found != NULL)
    {
      found->value = (const char *)value;
      found->length = v->p - value;
    }

  v->path_len = saved_len;
  v->path[saved_len] = '\0';

  return ok;
}

static gboolean
validate_object (Validator *v,
                 guint      depth)
{
  Key small[SMALL_OBJECT_KEYS];
  guint n_keys = 0;
  GHashTable *set = NULL;        /* Key* → Key*, owned once large */
  GPtrArray *owned = NULL;       /* decoded keys (GString) */
  gboolean ret = FALSE;

  g_assert (*v->p == '{');
  v->p++;
  skip_whitespace (v);

  if (v->p < v->end && *v->p == '}')
    {
      v->p++;
      return TRUE;
    }

  for (;;)
    {
      const guchar *key_start;
      GString *decoded = NULL;
      gsize raw_len = 0;
      Key key;

      if (v->p >= v->end || *v->p != '"')
        {
          fail_unexpected (v, "a member name in double quotes");
          goto out;
        }

      key_start = v->p;
      if (!validate_string (v, &decoded, &raw_len))
        goto out;

      if (decoded != NULL)
        {
          if (owned == NULL)
            owned = g_ptr_array_new_with_free_func (string_free);
          g_ptr_array_add (owned, decoded);
          key.data = decoded->str;
          key.len = decoded->len;
        }
      else
        {
          key.data = (const char *)key_start + 1;
          key.len = raw_len;
        }

      if (set == NULL)
        {
          for (guint i = 0; i < n_keys; i++)
            {
              if (key_equal (&small[i], &key))
                {
                  fail_at (v, key_start, "duplicate member name");
                  goto out;
                }
            }

          if (n_keys < SMALL_OBJECT_KEYS)
            small[n_keys++] = key;
          else
            {
              set = g_hash_table_new_full (key_hash, key_equal, g_free, NULL);
              for (guint i = 0; i < n_keys; i++)
                {
                  Key *copy = g_memdup2 (&small[i], sizeof (Key));
                  g_hash_table_add (set, copy);
                }
            }
        }

      if (set != NULL)
        {
          Key *copy;

          if (g_hash_table_contains (set, &key))
            {
              fail_at (v, key_start, "duplicate member name");
              goto out;
            }
          copy = g_memdup2 (&key, sizeof (Key));
          g_hash_table_add (set, copy);
        }

      skip_whitespace (v);
      if (v->p >= v->end || *v->p != ':')
        {
          fail_unexpected (v, "':'");
          goto out;
        }
      v->p++;
      skip_whitespace (v);

      if (!(v->tracking ? validate_member_value (v, depth, &key) : validate_value (v, depth)))
        goto out;

      skip_whitespace (v);
      if (v->p < v->end && *v->p == ',')
        {
          v->p++;
          skip_whitespace (v);
          if (v->p < v->end && *v->p == '}')
            {
              fail_at (v, v->p, "trailing comma");
              goto out;
            }
          continue;
        }
      if (v->p < v->end && *v->p == '}')
        {
          v->p++;
          ret = TRUE;
          goto out;
        }

      fail_unexpected (v, "',' or '}'");
      goto out;
    }

out:
  g_clear_pointer (&set, g_hash_table_unref);
  g_clear_pointer (&owned, g_ptr_array_unref);
  return ret;
}

static gboolean
validate_array (Validator *v,
                guint      depth)
{
  /* Picks name members of objects only: nothing inside an array is one. */
  if (v->tracking)
    {
      gboolean ok;

      v->tracking = FALSE;
      ok = validate_array (v, depth);
      v->tracking = TRUE;
      return ok;
    }

  g_assert (*v->p == '[');
  v->p++;
  skip_whitespace (v);

  if (v->p < v->end && *v->p == ']')
    {
      v->p++;
      return TRUE;
    }

  for (;;)
    {
      if (!validate_value (v, depth))
        return FALSE;

      skip_whitespace (v);
      if (v->p < v->end && *v->p == ',')
        {
          v->p++;
          skip_whitespace (v);
          if (v->p < v->end && *v->p == ']')
            return fail_at (v, v->p, "trailing comma");
          continue;
        }
      if (v->p < v->end && *v->p == ']')
        {
          v->p++;
          return TRUE;
        }

      return fail_unexpected (v, "',' or ']'");
    }
}

/* @depth is the nesting depth of the containing value. */
static gboolean
validate_value (Validator *v,
                guint      depth)
{
  if (v->p >= v->end)
    return fail_unexpected (v, "a value");

  switch (*v->p)
    {
    case '{':
      if (depth + 1 > USDTPAY_JSON_MAX_DEPTH)
        return fail_at (v, v->p, "nesting deeper than %d", USDTPAY_JSON_MAX_DEPTH);
      return validate_object (v, depth + 1);
    case '[':
      if (depth + 1 > USDTPAY_JSON_MAX_DEPTH)
        return fail_at (v, v->p, "nesting deeper than %d", USDTPAY_JSON_MAX_DEPTH);
      return validate_array (v, depth + 1);
    case '"':
      return validate_string (v, NULL, NULL);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return validate_number (v);
    case 't':
      return validate_literal (v, "true");
    case 'f':
      return validate_literal (v, "false");
    case 'n':
      return validate_literal (v, "null");
    case '.':
    case '+':
      return fail_at (v, v->p, "a number must start with a digit or '-'");
    default:
      return fail_unexpected (v, "a value");
    }
}

static gboolean
validate_document (Validator *v)
{
  skip_whitespace (v);
  if (v->p >= v->end)
    return fail_at (v, v->p, "empty document");

  if (!validate_value (v, 0))
    return FALSE;

  skip_whitespace (v);
  if (v->p < v->end)
    {
      if (*v->p == '/')
        return fail_at (v, v->p, "comments are not allowed");
      if (*v->p == '\0')
        return fail_at (v, v->p, "NUL byte after the value");
      return fail_at (v, v->p, "unexpected data after the value");
    }

  return TRUE;
}

static void
validator_init (Validator    *v,
                const char   *data,
                gsize         length,
                GError      **error)
{
  v->start = (const guchar *)data;
  v->p = v->start;
  v->end = v->start + length;
  v->error = error;
  v->picks = NULL;
  v->n_picks = 0;
  v->tracking = FALSE;
  v->path_len = 0;
  v->path[0] = '\0';
}

gboolean
usdtpay_json_validate (const char  *data,
                       gsize        length,
                       GError     **error)
{
  Validator v;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  validator_init (&v, data, length, error);

  return validate_document (&v);
}

gboolean
usdtpay_json_pick (const char       *data,
                   gsize             length,
                   UsdtpayJsonPick  *picks,
                   guint             n_picks,
                   GError          **error)
{
  Validator v;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (picks != NULL || n_picks == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < n_picks; i++)
    {
      picks[i].value = NULL;
      picks[i].length = 0;
    }

  validator_init (&v, data, length, error);
  v.picks = picks;
  v.n_picks = n_picks;
  v.tracking = n_picks > 0;

  if (validate_document (&v))
    return TRUE;

  for (guint i = 0; i < n_picks; i++)
    picks[i].value = NULL;
  return FALSE;
}

char *
usdtpay_json_pick_dup_string (const UsdtpayJsonPick *pick)
{
  GString *decoded = NULL;
  gsize raw_len = 0;
  Validator v;

  g_return_val_if_fail (pick != NULL, NULL);

  if (pick->value == NULL || pick->length < 2 || pick->value[0] != '"')
    return NULL;

  /* The text was validated when picked: decoding cannot fail. */
  validator_init (&v, pick->value, pick->length, NULL);
  if (!validate_string (&v, &decoded, &raw_len))
    return NULL;
  if (decoded != NULL)
    return g_string_free (decoded, FALSE);
  return g_strndup (pick->value + 1, raw_len);
}

gboolean
usdtpay_json_pick_equal (const UsdtpayJsonPick *pick,
                         const char            *text)
{
  g_autofree char *decoded = NULL;
  gsize text_len;

  g_return_val_if_fail (pick != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (pick->value == NULL || pick->length < 2 || pick->value[0] != '"')
    return FALSE;

  text_len = strlen (text);
  if (memchr (pick->value, '\\', pick->length) == NULL)
    return pick->length == text_len + 2 && memcmp (pick->value + 1, text, text_len) == 0;

  decoded = usdtpay_json_pick_dup_string (pick);
  return g_strcmp0 (decoded, text) == 0;
}

gboolean
usdtpay_json_pick_get_int (const UsdtpayJsonPick *pick,
                           gint64                *out)
{
  char text[24];

  g_return_val_if_fail (pick != NULL, FALSE);

  if (pick->value == NULL || pick->length == 0 || pick->length >= sizeof text ||
      !(pick->value[0] == '-' || g_ascii_isdigit (pick->value[0])) ||
      memchr (pick->value, '.', pick->length) != NULL || memchr (pick->value, 'e', pick->length) != NULL ||
      memchr (pick->value, 'E', pick->length) != NULL)
    return FALSE;

  memcpy (text, pick->value, pick->length);
  text[pick->length] = '\0';

  return g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, out, NULL);
}

/* The tree of a text the validator accepted, built in a second pass over
 * it with the validator's own string and number scanners. JsonParser would
 * build the same tree (its types: integers as gint64, other numbers as
 * doubles; members in order), but through GScanner at a few times the
 * cost, on every request body. */

static JsonNode *build_value (Validator *v);

static char *
build_string (Validator *v)
{
  const guchar *content = v->p + 1;
  GString *decoded = NULL;
  gsize raw_len = 0;

  if (!validate_string (v, &decoded, &raw_len))
    g_assert_not_reached ();
  if (decoded != NULL)
    return g_string_free (decoded, FALSE);

  return g_strndup ((const char *)content, raw_len);
}

static JsonNode *
build_number (Validator *v)
{
  const guchar *start = v->p;
  JsonNode *node = json_node_alloc ();
  gboolean is_integer = TRUE;
  gboolean negative = *start == '-';
  guint64 magnitude = 0;

  if (!validate_number (v))
    g_assert_not_reached ();

  for (const guchar *d = start + negative; d < v->p && is_integer; d++)
    {
      if (g_ascii_isdigit (*d))
        magnitude = magnitude * 10 + (*d - '0');
      else
        is_integer = FALSE;
    }

  /* The validator kept integers within gint64: -2^63 is the only one whose
   * magnitude does not fit its positive side. */
  if (is_integer)
    json_node_init_int (node, negative ? (gint64)(0 - magnitude) : (gint64)magnitude);
  else
    json_node_init_double (node, parse_double (start, v->p));

  return node;
}

static JsonNode *
build_object (Validator *v)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_alloc ();

  v->p++;
  skip_whitespace (v);
  if (*v->p == '}')
    v->p++;
  else
    for (;;)
      {
        g_autofree char *name = build_string (v);

        skip_whitespace (v);
        v->p++;                 /* ':' */
        skip_whitespace (v);
        json_object_set_member (object, name, build_value (v));
        skip_whitespace (v);
        if (*v->p++ == '}')
          break;
        skip_whitespace (v);    /* after ',' */
      }

  json_node_init_object (node, object);
  json_object_unref (object);

  return node;
}

static JsonNode *
build_array (Validator *v)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_alloc ();

  v->p++;
  skip_whitespace (v);
  if (*v->p == ']')
    v->p++;
  else
    for (;;)
      {
        json_array_add_element (array, build_value (v));
        skip_whitespace (v);
        if (*v->p++ == ']')
          break;
        skip_whitespace (v);    /* after ',' */
      }

  json_node_init_array (node, array);
  json_array_unref (array);

  return node;
}

static JsonNode *
build_value (Validator *v)
{
  JsonNode *node;

  /* Literals are known whole: the validator read them. */
  switch (*v->p)
    {
    case '{':
      return build_object (v);
    case '[':
      return build_array (v);
    case '"':
      {
        g_autofree char *text = build_string (v);

        return json_node_init_string (json_node_alloc (), text);
      }
    case 't':
    case 'f':
      node = json_node_init_boolean (json_node_alloc (), *v->p == 't');
      v->p += *v->p == 't' ? 4 : 5;
      return node;
    case 'n':
      v->p += 4;
      return json_node_init_null (json_node_alloc ());
    default:
      return build_number (v);
    }
}

JsonNode *
usdtpay_json_parse_strict (const char  *data,
                           gsize        length,
                           GError     **error)
{
  Validator v;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!usdtpay_json_validate (data, length, error))
    return NULL;

  validator_init (&v, data, length, NULL);
  skip_whitespace (&v);

  return build_value (&v);
}

JsonObject *
usdtpay_json_parse_object (const char  *data,
                           gsize        length,
                           GError     **error)
{
  g_autoptr(JsonNode) root = NULL;

  root = usdtpay_json_parse_strict (data, length, error);
  if (root == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                           "the body must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* Typed getters */

static JsonNode *
get_member (JsonObject  *object,
            const char  *member,
            gboolean     optional,
            gboolean    *absent,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *absent = FALSE;

  if (node == NULL || (optional && JSON_NODE_HOLDS_NULL (node)))
    {
      if (optional)
        {
          *absent = TRUE;
          return NULL;
        }
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "missing member \"%s\"", member);
      return NULL;
    }

  return node;
}

static gboolean
wrong_type (const char  *member,
            const char  *expected,
            GError     **error)
{
  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
               "member \"%s\" must be %s", member, expected);
  return FALSE;
}

/* Looks up @member and checks it holds a value of @type. Sets *@node to
 * NULL (and returns TRUE) when an optional member is absent. */
static gboolean
get_typed_value (JsonObject  *object,
                 const char  *member,
                 gboolean     optional,
                 GType        type,
                 const char  *expected,
                 JsonNode   **node,
                 GError     **error)
{
  gboolean absent;

  *node = get_member (object, member, optional, &absent, error);
  if (absent)
    {
      *node = NULL;
      return TRUE;
    }
  if (*node == NULL)
    return FALSE;

  if (!JSON_NODE_HOLDS_VALUE (*node) || json_node_get_value_type (*node) != type)
    return wrong_type (member, expected, error);

  return TRUE;
}

gboolean
usdtpay_json_get_string (JsonObject  *object,
                         const char  *member,
                         gboolean     optional,
                         const char **out,
                         GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!get_typed_value (object, member, optional, G_TYPE_STRING, "a string", &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_string (node);

  return TRUE;
}

gboolean
usdtpay_json_get_boolean (JsonObject  *object,
                          const char  *member,
                          gboolean     optional,
                          gboolean    *out,
                          GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!get_typed_value (object, member, optional, G_TYPE_BOOLEAN, "true or false", &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_boolean (node);

  return TRUE;
}

gboolean
usdtpay_json_get_int (JsonObject  *object,
                      const char  *member,
                      gboolean     optional,
                      gint64      *out,
                      GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!get_typed_value (object, member, optional, G_TYPE_INT64, "an integer", &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_int (node);

  return TRUE;
}

gboolean
usdtpay_json_get_usdt (JsonObject  *object,
                       const char  *member,
                       gboolean     optional,
                       gboolean     positive,
                       gint64      *out,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *text = NULL;
  gint64 value;

  g_return_val_if_fail (out != NULL, FALSE);

  if (!usdtpay_json_get_string (object, member, optional, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  if (!usdtpay_usdt_parse (text, &value, &local_error))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   "member \"%s\": %s", member, local_error->message);
      return FALSE;
    }

  if (positive && value <= 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   "member \"%s\" must be above zero", member);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

/* Serialisation */

/* The length of the valid UTF-8 sequence at @p (RFC 3629), or 0. */
static gsize
utf8_sequence_length (const guchar *p,
                      const guchar *end)
{
  guchar c = p[0];
  guchar lo = 0x80, hi = 0xbf;
  gsize n;

  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      lo = c == 0xe0 ? 0xa0 : 0x80;
      hi = c == 0xed ? 0x9f : 0xbf;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      lo = c == 0xf0 ? 0x90 : 0x80;
      hi = c == 0xf4 ? 0x8f : 0xbf;
    }
  else
    return 0;

  if ((gsize)(end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (gsize i = 2; i < n; i++)
    {
      if (p[i] < 0x80 || p[i] > 0xbf)
        return 0;
    }

  return n;
}

void
usdtpay_json_object_add_string (GString    *out,
                                const char *name,
                                const char *value)
{
  g_return_if_fail (out != NULL && out->len > 0 && out->str[out->len - 1] == '}');
  g_return_if_fail (name != NULL);

  g_string_truncate (out, out->len - 1);
  if (out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append_len (out, "\":", 2);
  usdtpay_json_append_string (out, value, -1);
  g_string_append_c (out, '}');
}

void
usdtpay_json_append_string (GString    *out,
                            const char *text,
                            gssize      length)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p, *end, *run;

  g_return_if_fail (out != NULL);

  if (text == NULL)
    {
      g_string_append_len (out, "null", 4);
      return;
    }

  if (length < 0)
    length = strlen (text);

  p = run = (const guchar *)text;
  end = p + length;

  g_string_append_c (out, '"');

  while (p < end)
    {
      guchar c = *p;

      if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80)
        {
          p++;
          continue;
        }

      if (c >= 0x80)
        {
          gsize n = utf8_sequence_length (p, end);

          /* Valid UTF-8 goes out as it is, anything else as U+FFFD, so
           * that what we write is always valid JSON. */
          if (n > 0)
            {
              p += n;
              continue;
            }

          g_string_append_len (out, (const char *)run, p - run);
          g_string_append_len (out, "\\ufffd", 6);
          p++;
          run = p;
          continue;
        }

      g_string_append_len (out, (const char *)run, p - run);
      switch (c)
        {
        case '"':  g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\b': g_string_append_len (out, "\\b", 2); break;
        case '\f': g_string_append_len (out, "\\f", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        default:
          {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
            g_string_append_len (out, esc, 6);
          }
          break;
        }
      p++;
      run = p;
    }

  g_string_append_len (out, (const char *)run, p - run);
  g_string_append_c (out, '"');
}

static void
append_double (GString *out,
               double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      /* JSON cannot say it; null is the honest rendering. */
      g_string_append_len (out, "null", 4);
      return;
    }

  /* The shortest of these that reads back as the same double. */
  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);

  /* Keep a whole double a double when it is read back. */
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append_len (out, ".0", 2);
}

void
usdtpay_json_append (GString  *out,
                     JsonNode *node)
{
  g_return_if_fail (out != NULL);

  if (node == NULL)
    {
      g_string_append_len (out, "null", 4);
      return;
    }

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            usdtpay_json_append_string (out, name, -1);
            g_string_append_c (out, ':');
            usdtpay_json_append (out, member);
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            usdtpay_json_append (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          usdtpay_json_append_string (out, json_node_get_string (node), -1);
          break;
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          if (json_node_get_boolean (node))
            g_string_append_len (out, "true", 4);
          else
            g_string_append_len (out, "false", 5);
          break;
        default:
          g_string_append_len (out, "null", 4);
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append_len (out, "null", 4);
      break;
    }
}

char *
usdtpay_json_to_string (JsonNode *node,
                        gsize    *length)
{
  GString *out = g_string_sized_new (256);

  usdtpay_json_append (out, node);

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

char *
usdtpay_json_error_body (const GError *error,
                         gsize        *length)
{
  GString *out;

  g_return_val_if_fail (error != NULL, NULL);

  out = g_string_sized_new (128);

  g_string_append_len (out, "{\"error\":{\"code\":", 17);
  usdtpay_json_append_string (out, usdtpay_error_to_code_string (error), -1);
  g_string_append_len (out, ",\"message\":", 11);
  usdtpay_json_append_string (out, error->message, -1);
  g_string_append_len (out, "}}", 2);

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

gboolean
usdtpay_json_check_members (JsonObject         *object,
                            const char * const *allowed,
                            GError            **error)
{
  JsonObjectIter iter;
  const char *member;

  g_return_val_if_fail (allowed != NULL, FALSE);

  if (object == NULL)
    return TRUE;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, NULL))
    {
      if (!g_strv_contains (allowed, member))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "unknown member \"%s\"", member);
          return FALSE;
        }
    }

  return TRUE;
}
