import type { Command } from '../main';
import { initBackend } from '../../backend';
import { adapterName } from '../../backend/webgpu';

/** `saliency-lab backend`: prints which TensorFlow.js backend would be used here, and why. */
export const command: Command = {
  summary: 'show the TensorFlow.js backend in use (SALIENCY_BACKEND overrides)',
  usage: 'usage: saliency-lab backend\n\nPrints the backend chosen here and the ones skipped, with the reason.',
  async run() {
    const info = await initBackend();
    console.log(`backend: ${info.name} (${info.package}, tfjs "${info.tfBackend}", chosen by ${info.chosenBy})`);
    if (info.adapter) console.log(`  adapter: ${adapterName(info.adapter)} (vendor ${info.adapter.vendor || '?'}, architecture ${info.adapter.architecture || '?'}${info.adapter.software ? ', software' : ''})`);
    for (const s of info.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
    return 0;
  },
};
