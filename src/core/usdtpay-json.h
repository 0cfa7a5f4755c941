/* usdtpay-json.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define USDTPAY_JSON_MAX_DEPTH 64

/* A strict RFC 8259 validator over raw bytes, run before json-glib builds a
 * tree because json-glib 1.6 is lenient. Refused with
 * USDTPAY_ERROR_MALFORMED_JSON (the message names the byte offset): invalid
 * UTF-8, comments, single quotes, trailing commas, duplicate keys in one
 * object, leading zeros, numbers that overflow a double or, for integers,
 * a gint64, "\u0000", lone surrogates, control characters in strings,
 * nesting deeper than USDTPAY_JSON_MAX_DEPTH, and anything after the value
 * but whitespace. */
gboolean    usdtpay_json_validate          (const char  *data,
                                            gsize        length,
                                            GError     **error);
/* A member picked out of a JSON text without building a tree, for hot
 * paths that need a few values of a large document. @path names it
 * through nested objects, member names joined by '.' ("order.id"); members
 * of arrays and members whose names hold a '.' cannot be picked. */
typedef struct
{
  const char *path;     /* set by the caller */
  const char *value;    /* the value's raw text (a string with its quotes), or NULL */
  gsize       length;
} UsdtpayJsonPick;

/* Validates @data exactly as usdtpay_json_validate() does and points each
 * of @picks at its value, or at NULL when the document has no such member.
 * On failure every value is NULL. */
gboolean    usdtpay_json_pick              (const char             *data,
                                            gsize                   length,
                                            UsdtpayJsonPick        *picks,
                                            guint                   n_picks,
                                            GError                **error);
/* The picked string, decoded; NULL when absent or not a string. */
char       *usdtpay_json_pick_dup_string   (const UsdtpayJsonPick  *pick);
/* Whether the picked value is a string equal to @text once decoded. */
gboolean    usdtpay_json_pick_equal        (const UsdtpayJsonPick  *pick,
                                            const char             *text);
/* The picked integer; FALSE when absent, not an integer or out of range. */
gboolean    usdtpay_json_pick_get_int      (const UsdtpayJsonPick  *pick,
                                            gint64                 *out);

/* Validates, then parses with json-glib. Returns a new node. */
JsonNode   *usdtpay_json_parse_strict      (const char  *data,
                                            gsize        length,
                                            GError     **error);
/* As above, and insists on a top-level object. */
JsonObject *usdtpay_json_parse_object      (const char  *data,
                                            gsize        length,
                                            GError     **error);

/* Typed member readers for request bodies. Each fails with
 * USDTPAY_ERROR_INVALID_REQUEST naming the member when it is missing (unless
 * optional) or of the wrong JSON type. An optional absent member leaves
 * @out untouched and returns TRUE; JSON null counts as absent for optional
 * members. */
gboolean    usdtpay_json_get_string        (JsonObject  *object,
                                            const char  *member,
                                            gboolean     optional,
                                            const char **out,
                                            GError     **error);
gboolean    usdtpay_json_get_boolean       (JsonObject  *object,
                                            const char  *member,
                                            gboolean     optional,
                                            gboolean    *out,
                                            GError     **error);
gboolean    usdtpay_json_get_int           (JsonObject  *object,
                                            const char  *member,
                                            gboolean     optional,
                                            gint64      *out,
                                            GError     **error);
/* A USDT money string member, parsed strictly; must be > 0 when @positive. */
gboolean    usdtpay_json_get_usdt          (JsonObject  *object,
                                            const char  *member,
                                            gboolean     optional,
                                            gboolean     positive,
                                            gint64      *out,
                                            GError     **error);

/* Refuses, with USDTPAY_ERROR_INVALID_REQUEST naming it, a member of
 * @object that is not in the NULL-terminated @allowed. A NULL @object
 * passes. */
gboolean    usdtpay_json_check_members     (JsonObject         *object,
                                            const char * const *allowed,
                                            GError            **error);

/* Serialises @node compactly. */
char       *usdtpay_json_to_string         (JsonNode    *node,
                                            gsize       *length);
/* Appends @node compactly to @out (what usdtpay_json_to_string() returns). */
void        usdtpay_json_append            (GString     *out,
                                            JsonNode    *node);
/* Appends @text (@length bytes, or up to its NUL when -1) as a JSON string
 * with its quotes; bytes that are not valid UTF-8 become \ufffd. NULL
 * appends null. */
void        usdtpay_json_append_string     (GString     *out,
                                            const char  *text,
                                            gssize       length);
/* Adds the member @name (plain ASCII, no escapes needed) with the string
 * @value (NULL: null) to the JSON object at the end of @out: its closing
 * brace moves after the member. */
void        usdtpay_json_object_add_string (GString     *out,
                                            const char  *name,
                                            const char  *value);
/* `{"error":{"code":"…","message":"…"}}` for @error. */
char       *usdtpay_json_error_body        (const GError *error,
                                            gsize        *length);

G_END_DECLS
