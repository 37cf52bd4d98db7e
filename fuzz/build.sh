#!/bin/sh
# Builds the libFuzzer targets with clang (not part of the meson build: they
# need clang's -fsanitize=fuzzer, while the project builds with any cc).
#
#   fuzz/build.sh BUILD_DIR            (a configured meson build, for config.h)
#   BUILD_DIR/fuzz-resolve -max_total_time=60 -dict=fuzz/paths.dict
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: fuzz/build.sh BUILD_DIR}
case "$build" in /*) ;; *) build="$top/$build";; esac
cc=${CLANG:-clang}

# shellcheck disable=SC2046
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
  -I"$build" -I"$top/src/core/project" \
  "$top/fuzz/fuzz-resolve.c" \
  "$top/src/core/project/tessera-ignore.c" \
  "$top/src/core/project/tessera-manifest.c" \
  "$top/src/core/project/tessera-path.c" \
  "$top/src/core/project/tessera-project.c" \
  $(pkg-config --cflags --libs gio-2.0 gio-unix-2.0 json-glib-1.0) \
  -o "$build/fuzz-resolve"
echo "built $build/fuzz-resolve"
