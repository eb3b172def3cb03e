#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need: Jupyter (server, kernel client, nbclient,
# nbconvert, jupyter_kernel_test, ipykernel), Chromium, and Mesa's Vulkan drivers 25.x (lavapipe, a CPU
# Vulkan device for the webgpu backend's tests; from bookworm-backports on bookworm). Idempotent: when
# every package is already installed it does nothing (no apt-get update), so reruns take well under a second.
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

# The webgpu backend's tests need a Vulkan driver for Dawn; without a GPU that is Mesa's lavapipe (a CPU
# Vulkan device) from mesa-vulkan-drivers. Dawn refuses bookworm's own Mesa 22.3: on bookworm it comes from
# bookworm-backports (25.x). Present when the installed version is at least this:
VULKAN_PACKAGE=mesa-vulkan-drivers
VULKAN_MIN_VERSION=25
BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.list
BACKPORTS_LINE='deb http://deb.debian.org/debian bookworm-backports main'

vulkan_version=$(dpkg-query -W -f='${Version}' "$VULKAN_PACKAGE" 2>/dev/null || true)
vulkan_ok=0
if [ -n "$vulkan_version" ] && dpkg --compare-versions "$vulkan_version" ge "$VULKAN_MIN_VERSION" \
   && [ "$(dpkg-query -W -f='${Status}' "$VULKAN_PACKAGE" 2>/dev/null)" = "install ok installed" ]; then
  vulkan_ok=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $vulkan_ok -eq 1 ]; then
  echo "setup-system: all ${#PACKAGES[@]} packages present, $VULKAN_PACKAGE $vulkan_version"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: apt-get not found; install these by other means: ${missing[*]} $VULKAN_PACKAGE (>= $VULKAN_MIN_VERSION)" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "setup-system: run as root to install: ${missing[*]} $VULKAN_PACKAGE (>= $VULKAN_MIN_VERSION)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
VULKAN_TARGET=()
if [ $vulkan_ok -eq 0 ] && [ "$codename" = bookworm ]; then
  if ! grep -qsF "$BACKPORTS_LINE" "$BACKPORTS_LIST"; then
    echo "setup-system: adding bookworm-backports ($BACKPORTS_LIST)"
    echo "$BACKPORTS_LINE" | "${SUDO[@]}" tee "$BACKPORTS_LIST" >/dev/null
  fi
  VULKAN_TARGET=(-t bookworm-backports)
fi

"${SUDO[@]}" apt-get update
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-system: installing ${missing[*]}"
  "${SUDO[@]}" apt-get install -y "${PACKAGES[@]}"
fi
if [ $vulkan_ok -eq 0 ]; then
  echo "setup-system: installing $VULKAN_PACKAGE ${VULKAN_TARGET[*]} (lavapipe, for the webgpu tests)"
  "${SUDO[@]}" apt-get install -y "${VULKAN_TARGET[@]}" "$VULKAN_PACKAGE"
  vulkan_version=$(dpkg-query -W -f='${Version}' "$VULKAN_PACKAGE")
  if ! dpkg --compare-versions "$vulkan_version" ge "$VULKAN_MIN_VERSION"; then
    echo "setup-system: $VULKAN_PACKAGE $vulkan_version is older than $VULKAN_MIN_VERSION: Dawn will find no adapter" >&2
    exit 1
  fi
  echo "setup-system: $VULKAN_PACKAGE $vulkan_version"
fi
