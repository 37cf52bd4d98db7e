/* tessera-start-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_START_PAGE (tessera_start_page_get_type ())
G_DECLARE_FINAL_TYPE (TesseraStartPage, tessera_start_page, TESSERA, START_PAGE, GtkWidget)

G_END_DECLS
