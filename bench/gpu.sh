#!/usr/bin/env bash
# The webgpu benchmark, as a machine with a GPU runs it: from a clone of the repository, with Node 20+
# and npm (no system packages: Dawn ships inside the npm package `webgpu`; it needs a Vulkan driver on
# Linux, which NVIDIA's, AMD's and Intel's drivers provide). Installs the locked dependencies (the
# devDependencies include webgpu and @tensorflow/tfjs-backend-webgpu) unless they are there, builds, then
# runs bench/gpu.js: tables on stdout, and in $OUT/gpu-bench.md when OUT is set.
#
#   bash bench/gpu.sh                       # webgpu, then wasm for the comparison: VGG-like 224, MobileNetV2 if in the zoo
#   bash bench/gpu.sh --backends=webgpu     # GPU only (wasm's batched rows take minutes)
#   bash bench/gpu.sh --quick               # small model, small settings: does it all work?
#   bash bench/gpu.sh --require-hardware    # fail rather than measure a software adapter
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

if ! node -e "require.resolve('webgpu/package.json'); require.resolve('@tensorflow/tfjs-backend-webgpu')" 2>/dev/null \
   || [ ! -d node_modules/@tensorflow/tfjs ]; then
  echo "bench/gpu.sh: installing the locked dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
# Rebuild when dist/ is missing or older than a source file.
if [ ! -f dist/index.js ] || [ -n "$(find src -newer dist/index.js -name '*.ts' -print -quit)" ]; then
  npm run build
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fi
exec node bench/gpu.js "$@"
