/**
 * The display contract between the library and a notebook kernel.
 *
 * - A value shows as a rich result when it has a `[Symbol.for('Jupyter.display')]()` method returning a
 *   mime bundle (the convention Deno's kernel uses). Viz results and widgets implement it.
 * - `display(x)` sends a value's bundle to the active display sink. The saliency-lab kernel installs the
 *   sink (see src/kernel) on `globalThis` under a registered symbol, so that every copy of this module
 *   (the notebook's `require('saliency-lab')` and the kernel's own) reaches the same kernel.
 * - Nothing a value does breaks its display: a display method that throws or returns something odd, a
 *   Proxy, a revoked Proxy, a throwing custom inspect or `toJSON` all end in a plain-text rendering.
 */
import { inspect, types } from 'util';

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

/** The value's display method, if it has one; never throws (a Proxy's trap or a revoked Proxy may). */
function displayMethod(x: unknown): (() => unknown) | undefined {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null) return undefined;
  try {
    const method = (x as Record<symbol, unknown>)[DISPLAY];
    return typeof method === 'function' ? (method as () => unknown) : undefined;
  } catch {
    return undefined;
  }
}

export function isDisplayable(x: unknown): x is Displayable {
  return displayMethod(x) !== undefined;
}

/** `type/subtype` (RFC 6838 characters), e.g. `text/html`, `application/vnd.jupyter.widget-view+json`. */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/** A bundle value that can be sent: text, bytes (sent as base64), or data that JSON can write. */
function sendable(value: unknown): boolean {
  if (typeof value === 'string' || value instanceof Uint8Array) return true;
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}

/**
 * What a display method returned, as a bundle: only its entries whose key is a mime type and whose value
 * can be sent; undefined when none is left or it is no plain object (a Proxy, an array, a function).
 */
function checkedBundle(returned: unknown): MimeBundle | undefined {
  if (typeof returned !== 'object' || returned === null || Array.isArray(returned) || types.isProxy(returned)) return undefined;
  const proto = Object.getPrototypeOf(returned);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const bundle: MimeBundle = {};
  for (const [mime, value] of Object.entries(returned)) if (MIME_TYPE.test(mime) && sendable(value)) bundle[mime] = value;
  return Object.keys(bundle).length > 0 ? bundle : undefined;
}

/**
 * `x` as Node's REPL prints it (`util.inspect`: strings quoted, a Proxy as its target without running
 * its traps). Never throws: a custom inspect method that throws is skipped, and if inspection fails
 * anyway the text says what kind of value it was.
 */
export function plainText(x: unknown): string {
  try {
    return inspect(x);
  } catch {
    try {
      return inspect(x, { customInspect: false });
    } catch {
      return `[${typeof x} that cannot be inspected]`;
    }
  }
}

/**
 * The mime bundle for a value: its own display method's (the entries that are mime types with sendable
 * values), else a plain-text rendering (a string as itself). Never throws: a display method that throws
 * or returns no bundle gives the plain-text rendering.
 */
export function toMimeBundle(x: unknown): MimeBundle {
  const method = displayMethod(x);
  if (method) {
    let returned: unknown;
    try {
      returned = method.call(x);
    } catch {
      returned = undefined;
    }
    const bundle = checkedBundle(returned);
    if (bundle) return bundle;
  }
  return { 'text/plain': typeof x === 'string' ? x : plainText(x) };
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
