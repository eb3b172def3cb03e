/**
 * The display contract between the library and a notebook kernel.
 *
 * - A value shows as a rich result when it has a `[Symbol.for('Jupyter.display')]()` method returning a
 *   mime bundle (the convention Deno's kernel uses). Viz results and widgets implement it.
 * - `display(x)` sends a value's bundle to the active display sink. The saliency-lab kernel installs the
 *   sink (see src/kernel) on `globalThis` under a registered symbol, so that every copy of this module
 *   (the notebook's `require('saliency-lab')` and the kernel's own) reaches the same kernel.
 */

/** Mime type to data, e.g. `{ 'image/png': base64, 'text/plain': '...' }`. */
export type MimeBundle = Record<string, unknown>;

/** The method name a displayable value carries. */
export const DISPLAY = Symbol.for('Jupyter.display');

export interface Displayable {
  [DISPLAY](): MimeBundle;
}

export interface DisplayOptions {
  /** Mime-keyed metadata, e.g. `{ 'image/png': { width: 256 } }`. */
  metadata?: Record<string, unknown>;
  /** A display id: a later `display(x, {displayId, update: true})` replaces this output. */
  displayId?: string;
  /** Replace the output that has `displayId` instead of adding a new one. */
  update?: boolean;
}

/** What a kernel provides to show bundles in the current cell's (or comm callback's) output. */
export interface DisplaySink {
  display(bundle: MimeBundle, options: DisplayOptions): void;
  clearOutput?(wait: boolean): void;
}

const SINK_KEY = Symbol.for('saliency-lab.displaySink');

/** Installs (or with null removes) the display sink. Called by the kernel. */
export function setDisplaySink(sink: DisplaySink | null): void {
  (globalThis as Record<symbol, unknown>)[SINK_KEY] = sink ?? undefined;
}

/** The active sink, if a kernel installed one. */
export function getDisplaySink(): DisplaySink | undefined {
  return (globalThis as Record<symbol, unknown>)[SINK_KEY] as DisplaySink | undefined;
}

export function isDisplayable(x: unknown): x is Displayable {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as Record<symbol, unknown>)[DISPLAY] === 'function';
}

/** The mime bundle for a value: its own display method, else a plain-text rendering. */
export function toMimeBundle(x: unknown): MimeBundle {
  if (isDisplayable(x)) return x[DISPLAY]();
  if (typeof x === 'string') return { 'text/plain': x };
  return { 'text/plain': require('util').inspect(x, { depth: 4 }) };
}

/**
 * Shows `x` in the current cell's output (or, inside a comm handler, the output of the message being
 * handled): its mime bundle as `display_data`, or with `{displayId, update: true}` as an update of an
 * earlier display. Outside a kernel (no sink) it prints the bundle's text/plain to stdout, as IPython's
 * `display()` does outside IPython.
 */
export function display(x: unknown, options: DisplayOptions = {}): void {
  const bundle = toMimeBundle(x);
  const sink = getDisplaySink();
  if (sink) sink.display(bundle, options);
  else if (typeof bundle['text/plain'] === 'string') console.log(bundle['text/plain']);
}

/** Clears the current output (`wait`: only when the next output arrives, to avoid flicker). */
export function clearOutput(wait = false): void {
  getDisplaySink()?.clearOutput?.(wait);
}
