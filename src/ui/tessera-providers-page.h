/* tessera-providers-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_PROVIDERS_PAGE (tessera_providers_page_get_type ())
G_DECLARE_FINAL_TYPE (TesseraProvidersPage, tessera_providers_page, TESSERA, PROVIDERS_PAGE, AdwPreferencesPage)

G_END_DECLS
