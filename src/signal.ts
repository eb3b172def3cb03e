/**
 * The AbortSignal that long methods honour when the caller passes none: the saliency-lab kernel sets one
 * per cell, so that an interrupt stops the work (see src/kernel). Outside the kernel there is none.
 */
const SIGNAL_KEY = Symbol.for('saliency-lab.currentSignal');

/** Sets (or clears) the ambient signal. Called by the kernel around each cell and comm callback. */
export function setAmbientSignal(signal: AbortSignal | undefined): void {
  (globalThis as Record<symbol, unknown>)[SIGNAL_KEY] = signal;
}

/** The signal a method should honour: the caller's, else the ambient one, else none. */
export function effectiveSignal(signal?: AbortSignal): AbortSignal | undefined {
  return signal ?? ((globalThis as Record<symbol, unknown>)[SIGNAL_KEY] as AbortSignal | undefined);
}
