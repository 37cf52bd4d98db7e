#!/bin/sh
# Builds the protocol parser's libFuzzer target with clang (not part of the
# meson build, which runs the same checks as the test protocol-fuzz).
#
#   fuzz/fuzz-protocol.sh BUILD_DIR       (a configured meson build, for config.h)
#   BUILD_DIR/fuzz-protocol -max_total_time=60 -dict=fuzz/fuzz-protocol.dict
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: fuzz/fuzz-protocol.sh BUILD_DIR}
case "$build" in /*) ;; *) build="$top/$build";; esac
cc=${CLANG:-clang}
res="$build/fuzz-protocol-resources.c"

glib-compile-resources --generate-source --c-name tessera_protocol \
  --sourcedir "$top/src/core/protocol" --target "$res" \
  "$top/src/core/protocol/tessera-protocol.gresource.xml"

# shellcheck disable=SC2046
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
  -I"$build" -I"$top/src/core/protocol" \
  "$top/fuzz/fuzz-protocol.c" \
  "$top/src/core/protocol/tessera-action.c" \
  "$top/src/core/protocol/tessera-edit-applier.c" \
  "$top/src/core/protocol/tessera-protocol-parser.c" \
  "$res" \
  $(pkg-config --cflags --libs gio-2.0 json-glib-1.0) \
  -o "$build/fuzz-protocol"
echo "built $build/fuzz-protocol"
