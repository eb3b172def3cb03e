/**
 * For tests on the webgpu backend: they need an adapter (in CI, Mesa's lavapipe, which
 * `scripts/setup-system.sh` installs from bookworm-backports). Without one they fail with what to do,
 * never skip.
 */
import os from 'os';
import { setBackend, BackendInfo } from '../../src/backend';

/** Switches to webgpu (a software adapter is accepted: it is named). */
export async function useWebGPU(): Promise<BackendInfo> {
  process.env.XDG_RUNTIME_DIR ??= os.tmpdir(); // Mesa's Vulkan loader warns when it is unset
  try {
    return await setBackend('webgpu');
  } catch (e) {
    throw new Error(`${(e as Error).message}\nThese tests need a WebGPU adapter: run \`bash scripts/setup-system.sh\` as root (on Debian bookworm it installs Mesa's lavapipe Vulkan driver from bookworm-backports).`);
  }
}
