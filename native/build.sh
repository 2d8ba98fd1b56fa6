#!/usr/bin/env sh
# Builds the optional native addon native/build/igpg_native.node (OpenBLAS sgemm on the
# tfjs wasm heap). Needs g++/gcc, Node headers (/usr/include/node or $NODE_INCLUDE) and
# libopenblas-dev. Exits 0 with a message when something is missing: the addon is optional.
set -u
cd "$(dirname "$0")"
inc="${NODE_INCLUDE:-}"
if [ -z "$inc" ]; then
  for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node /usr/local/include/node; do
    [ -f "$d/node_api.h" ] && inc="$d" && break
  done
fi
if [ -z "$inc" ] || ! command -v cc >/dev/null 2>&1; then
  echo "build:native: skipped (need a C compiler and Node headers with node_api.h)"; exit 0
fi
cblas_inc=""
for d in /usr/include/x86_64-linux-gnu /usr/include/aarch64-linux-gnu /usr/include/openblas /usr/include; do
  [ -f "$d/cblas.h" ] && cblas_inc="$d" && break
done
if [ -z "$cblas_inc" ]; then echo "build:native: skipped (no cblas.h: install libopenblas-dev)"; exit 0; fi
mkdir -p build
if cc -O3 -march=native -fopenmp-simd -fno-math-errno -fPIC -shared -DNODE_GYP_MODULE_NAME=igpg_native -I"$inc" -I"$cblas_inc" \
     igpg_native.c -o build/igpg_native.node.tmp -lopenblas -lm -lpthread; then
  mv build/igpg_native.node.tmp build/igpg_native.node
  echo "build:native: built native/build/igpg_native.node"
else
  rm -f build/igpg_native.node.tmp
  echo "build:native: compile failed; the wasm backend will run without the native addon" >&2
fi
