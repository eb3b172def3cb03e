// saliency-lab: re-exports only. Importing the package starts choosing the best TensorFlow.js backend
// (see src/backend); every method awaits that choice before it runs.
export * from './errors';
export * from './backend';
export * from './display';
export * from './models';
export * from './methods';
export * from './viz';
export * from './data';
export * from './kernel';

import { ready } from './backend';
// Start early so the first method call does not pay for it; failures surface from the first ready() call.
ready().catch(() => undefined);
