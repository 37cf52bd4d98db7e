/* sandbox-test-util.h: helpers the sandbox layer's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean      sandbox_test_have_program (const char    *name);
void          sandbox_test_write_file   (const char    *dir,
                                         const char    *name,
                                         const char    *contents);
void          sandbox_test_remove_tree  (const char    *path);
void          sandbox_test_store_result (GObject       *object,
                                         GAsyncResult  *result,
                                         gpointer       user_data);
GAsyncResult *sandbox_test_wait_result  (GAsyncResult **slot);

G_END_DECLS
