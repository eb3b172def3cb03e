#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need: Jupyter (server, kernel client, nbclient,
# nbconvert, jupyter_kernel_test, ipykernel) and Chromium. Idempotent: when every package is already
# installed it does nothing (no apt-get update), so reruns take well under a second.
# Run as root (or through sudo). The tests use Debian's /usr/bin/python3, which sees these packages.
set -euo pipefail

PACKAGES=(
  jupyter-server
  python3-jupyter-server
  python3-ipykernel
  python3-nbclient
  jupyter-nbconvert
  python3-jupyter-kernel-test
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then missing+=("$p"); fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: apt-get not found; install these by other means: ${missing[*]}" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "setup-system: run as root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y "${PACKAGES[@]}"
