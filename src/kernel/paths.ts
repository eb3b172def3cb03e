import path from 'path';

/** This package's root folder (dist/kernel/.. /..): its package.json, bin/ and dist/. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
