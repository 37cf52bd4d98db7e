/* tessera-json-scan.h: a validating scan of small JSON events, and lookups
 *
 * json-glib builds a tree and emits a signal per member: about 15 µs for a
 * 200-byte streaming event, so a 1 MB answer (250,000 events) would spend
 * seconds in it. The streaming hot path only needs a few strings out of
 * each event; this checks the event is valid JSON and reads them. Anything
 * unusual still goes to json-glib.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TESSERA_JSON_SCAN_MISSING,
  TESSERA_JSON_SCAN_STRING,
  TESSERA_JSON_SCAN_NULL,
  /* A number, boolean, object or array. */
  TESSERA_JSON_SCAN_OTHER,
  /* A string that could not be decoded (invalid escape or UTF-8). */
  TESSERA_JSON_SCAN_INVALID,
} TesseraJsonScanResult;

/* TRUE when @json is exactly one valid JSON value (RFC 8259), nested at
 * most 64 deep. */
gboolean              _tessera_json_scan_validate (const char         *json,
                                                   gsize               len);

/* Validates @json like _tessera_json_scan_validate() and, when it is an
 * object, sets @values[i] to where the value of its first member named
 * @names[i] (NULL-terminated) starts in @json, and @value_lens[i] to its
 * length; NULL and 0 when there is no such member. One pass: the hot path
 * finds the few members it needs while checking the event. */
gboolean              _tessera_json_scan_members  (const char         *json,
                                                   gsize               len,
                                                   const char * const *names,
                                                   const char        **values,
                                                   gsize              *value_lens);

/* Follows @path (NULL-terminated: member names, or decimal indices for
 * arrays) in @json, which must have passed validation. For a string,
 * *@string is set to its decoded, NUL-terminated value (free it). */
TesseraJsonScanResult _tessera_json_scan_lookup   (const char         *json,
                                                   gsize               len,
                                                   const char * const *path,
                                                   char              **string);

/* Follows @path like _tessera_json_scan_lookup(), and sets @value to where
 * the value found starts in @json and @value_len to its length: a smaller
 * document to look up several members in. FALSE when there is none. */
gboolean              _tessera_json_scan_lookup_span (const char         *json,
                                                      gsize               len,
                                                      const char * const *path,
                                                      const char        **value,
                                                      gsize              *value_len);

G_END_DECLS
