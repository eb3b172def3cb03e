/**
 * The two kernels saliency-lab installs, as tslab has them: TypeScript, and JavaScript (tslab's "jslab"
 * mode: no type annotations, types inferred and taken from JSDoc). One table: the
 * kernelspec (./kernelspec), `kernel_info` (./shell) and the compiler mode (./executor) read it.
 */
import type { JSONObject } from './wire';

export type KernelLanguage = 'typescript' | 'javascript';

export interface KernelFlavor {
  language: KernelLanguage;
  /** The kernelspec's name (its folder under kernels/) and display name. */
  kernelName: string;
  displayName: string;
  /** Arguments of `saliency-lab kernel` before the connection file. */
  kernelArgs: string[];
  /** `language_info` of kernel_info_reply, given tslab's TypeScript version. */
  languageInfo(typescriptVersion: string): JSONObject;
  /** `banner` of kernel_info_reply. */
  banner(typescriptVersion: string): string;
}

export const KERNELS: Record<KernelLanguage, KernelFlavor> = {
  typescript: {
    language: 'typescript',
    kernelName: 'saliency-lab',
    displayName: 'TypeScript (saliency-lab)',
    kernelArgs: [],
    languageInfo: (version) => ({
      name: 'typescript',
      version,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      pygments_lexer: 'typescript',
      codemirror_mode: { name: 'javascript', typescript: true, mode: 'typescript' },
    }),
    banner: (version) => `TypeScript ${version} (tslab)`,
  },
  javascript: {
    language: 'javascript',
    kernelName: 'saliency-lab-js',
    displayName: 'JavaScript (saliency-lab)',
    kernelArgs: ['--js'],
    languageInfo: () => ({
      name: 'javascript',
      version: process.versions.node,
      mimetype: 'text/javascript',
      file_extension: '.js',
      pygments_lexer: 'javascript',
      codemirror_mode: { name: 'javascript' },
    }),
    banner: (version) => `JavaScript, checked by TypeScript ${version} (tslab's JavaScript mode)`,
  },
};

/** The flavor whose `saliency-lab kernel` arguments `args` are (`--js` or none). */
export function kernelFromArgs(args: string[]): KernelFlavor | undefined {
  return Object.values(KERNELS).find((k) => k.kernelArgs.length === args.length && k.kernelArgs.every((a, i) => args[i] === a));
}
