/* tessera-context-builder.h: what a turn sends, within the model's context
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-image.h"
#include "tessera-llm-request.h"
#include "tessera-project.h"

G_BEGIN_DECLS

/* For models the table does not know. */
#define TESSERA_DEFAULT_CONTEXT_TOKENS 32768

#define TESSERA_TYPE_CONTEXT_BUILDER (tessera_context_builder_get_type ())
G_DECLARE_FINAL_TYPE (TesseraContextBuilder, tessera_context_builder, TESSERA, CONTEXT_BUILDER, GObject)

/* Tokens are estimated as bytes / 4, rounded up. */
guint                  tessera_estimate_tokens                 (gsize                   n_bytes);
/* The context window of well-known models (by id prefix), or
 * TESSERA_DEFAULT_CONTEXT_TOKENS. */
guint                  tessera_context_tokens_for_model        (const char             *model);

TesseraContextBuilder *tessera_context_builder_new             (TesseraProject         *project,
                                                                const char             *model,
                                                                guint                   context_tokens);
void                   tessera_context_builder_set_system_prompt (TesseraContextBuilder *self,
                                                                const char             *text);
/* Earlier messages, oldest first, with the images (TesseraImage; NULL
 * for none) of the user's: dropped oldest first when they do not fit,
 * their images before any text. */
void                   tessera_context_builder_add_history     (TesseraContextBuilder  *self,
                                                                gboolean                from_user,
                                                                const char             *text,
                                                                GPtrArray              *images);
/* The message of this turn and its images (NULL for none): always sent
 * whole. */
void                   tessera_context_builder_set_prompt      (TesseraContextBuilder  *self,
                                                                const char             *text,
                                                                GPtrArray              *images);
/* Files to prefer: recently edited, or named by a "Fix with AI" error. */
void                   tessera_context_builder_add_relevant    (TesseraContextBuilder  *self,
                                                                const char             *path,
                                                                guint                   weight);

/* Lists and reads the project in a worker thread and builds the request:
 * system prompt, project tree and the most relevant files' contents,
 * history, prompt, never estimated above the context minus the answer's
 * max-tokens (each image counts TESSERA_IMAGE_TOKENS). Fails with
 * G_IO_ERROR_NO_SPACE when the prompt and its images alone do not fit. */
void                   tessera_context_builder_build_async     (TesseraContextBuilder  *self,
                                                                GCancellable           *cancellable,
                                                                GAsyncReadyCallback     callback,
                                                                gpointer                user_data);
TesseraLlmRequest     *tessera_context_builder_build_finish    (TesseraContextBuilder  *self,
                                                                GAsyncResult           *result,
                                                                GError                **error);

/* After a build: the estimate of the request, and what did not fit. */
guint                  tessera_context_builder_get_estimated_tokens (TesseraContextBuilder *self);
guint                  tessera_context_builder_get_input_budget     (TesseraContextBuilder *self);
guint                  tessera_context_builder_get_n_files          (TesseraContextBuilder *self);
guint                  tessera_context_builder_get_n_files_included (TesseraContextBuilder *self);
guint                  tessera_context_builder_get_n_history_dropped (TesseraContextBuilder *self);

G_END_DECLS
