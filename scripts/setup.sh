#!/usr/bin/env bash
# Installs what igpg needs on a fresh Debian 12 machine with Node 20: Debian packages (as root), then npm packages.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  dataset-fashion-mnist   # Fashion-MNIST idx files under /usr/share/datasets/fashion-mnist
  chromium                # headless browser for the dashboard test and figure rendering
  libopenblas-dev         # optional native matmul for the wasm backend
  python3-torch           # PyTorch, to check that exported networks load by name (test/pytorch-export.test.ts)
  redis-server            # job queue for `igpg zoo build --queue` / `igpg worker`; tests start their own on loopback
  openssl                 # a throwaway certificate for the queue-over-TLS test (test/queue-tls.test.ts)
  jupyter-client python3-nbconvert python3-nbclient jupyter-notebook python3-ipykernel jupyter-nbconvert
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages (run as root to install): ${missing[*]}" >&2
  fi
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund

echo "setup: optional native OpenBLAS addon for the wasm backend"
npm run build:native

echo "setup: build, then unpack the default zoo (zoo/default.tar.gz -> zoo/default, verified)"
npm run build
node packages/cli/dist/main.js zoo unpack zoo/default
