/**
 * The one place the interrupt signal is looked up: `currentSignal()` (public, through src/kernel) and the
 * default `signal` of long methods (`effectiveSignal`) both read it here.
 *
 * Inside the saliency-lab kernel the source is the kernel (registered with `setKernelHost`): the signal
 * of the request running now, a new one per cell, fired on interrupt. Outside a kernel, code that wants
 * an ambient signal for every method it calls (a script, a test) can set one with `setAmbientSignal`.
 * Both live on `globalThis` under registered symbols, so every copy of this module sees the same ones.
 */
const SOURCE_KEY = Symbol.for('saliency-lab.signalSource');
const AMBIENT_KEY = Symbol.for('saliency-lab.ambientSignal');

type Slots = Record<symbol, unknown>;

/** Sets (or clears) the function that gives the running kernel's current signal. Called by setKernelHost. */
export function setSignalSource(source: (() => AbortSignal | undefined) | null): void {
  (globalThis as Slots)[SOURCE_KEY] = source ?? undefined;
}

/** Sets (or clears) the signal used where no kernel provides one. */
export function setAmbientSignal(signal: AbortSignal | undefined): void {
  (globalThis as Slots)[AMBIENT_KEY] = signal;
}

/** The signal of the work running now: the kernel's, else the ambient one, else none. */
export function currentSignal(): AbortSignal | undefined {
  const source = (globalThis as Slots)[SOURCE_KEY] as (() => AbortSignal | undefined) | undefined;
  return source?.() ?? ((globalThis as Slots)[AMBIENT_KEY] as AbortSignal | undefined);
}

/** The signal a method should honour: the caller's, else the current one, else none. */
export function effectiveSignal(signal?: AbortSignal): AbortSignal | undefined {
  return signal ?? currentSignal();
}
