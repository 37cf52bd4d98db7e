/* tessera-manifest.h: reading and writing NAME.tessera
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Validates a manifest. Errors are TESSERA_PROJECT_ERROR_CORRUPT_MANIFEST or
 * _FUTURE_MANIFEST with a message naming @display_name. The returned object
 * keeps every member, known or not, so that a rewrite preserves them. */
JsonObject *tessera_manifest_parse     (GBytes      *data,
                                        const char  *display_name,
                                        GError     **error);
/* A fresh manifest with a random id and the current time. */
JsonObject *tessera_manifest_new       (const char  *name,
                                        const char  *template_name);
GBytes     *tessera_manifest_serialize (JsonObject  *manifest);

G_END_DECLS
