/**
 * Hooks through which libraries adapt the kernel to their objects without the protocol layer knowing
 * them: tfjs's are in ./tfjs-hooks, registered when the kernel process starts.
 */
import type { MimeBundle } from '../display';

export interface KernelHooks {
  /** A name for logs and errors. */
  name: string;
  /**
   * The bundle for a cell's result `value`, or undefined to leave it to the next hook and then to the
   * display contract (src/display.ts). Values with their own display method never reach hooks.
   */
  resultBundle?(value: unknown): MimeBundle | undefined;
  /**
   * Awaited before `resultBundle` for the same value: fetch what showing it synchronously needs (a tensor's
   * values from the GPU, which Node's webgpu backend cannot read synchronously).
   */
  beforeResult?(value: unknown): Promise<void>;
  /**
   * Runs once, when the kernel warms up after its first reply; the first cell waits until it is done.
   * A failure is shown in the first cell's stderr (the cell still runs).
   */
  prepare?(log: (text: string) => void): Promise<void>;
  /** Runs after a cell was stopped by an interrupt while it ran synchronously (its `finally`s never ran). */
  afterInterrupt?(log: (text: string) => void): void;
}
