/**
 * A request context that follows code into the timers, promises and callbacks it starts, as
 * AsyncLocalStorage does, but invisible on the user's objects.
 *
 * Node 20's AsyncLocalStorage stores its value as an enumerable symbol property of every async resource,
 * promises included, so `util.inspect(promise)` (a cell's result, `console.log(promise)`) printed
 * `[Symbol(kResourceStore)]: { msg: { header: { msg_id, session, ... }, content: { code } } }`. Here the
 * value lives in a WeakMap keyed by the resource. Any async hook also makes Node tag each promise with
 * `[Symbol(async_id_symbol)]` and `[Symbol(trigger_async_id_symbol)]`; the hook makes those two
 * non-enumerable (same value, still writable), so a promise prints `Promise { <pending> }` as in a
 * process without hooks.
 */
import { createHook, executionAsyncResource } from 'async_hooks';

/** The symbols Node adds to promises while async hooks are on; found from a probe promise. */
let promiseTags: symbol[] | null = null;

function hideTags(resource: object): void {
  for (const tag of promiseTags ?? []) {
    const d = Object.getOwnPropertyDescriptor(resource, tag);
    if (d?.enumerable) Object.defineProperty(resource, tag, { enumerable: false });
  }
}

export class HiddenContext<T> {
  private readonly stores = new WeakMap<object, T>();
  private readonly hook = createHook({
    init: (_asyncId, type, _triggerAsyncId, resource) => {
      if (typeof resource !== 'object' || resource === null) return;
      if (type === 'PROMISE') hideTags(resource);
      const store = this.stores.get(executionAsyncResource());
      if (store !== undefined) this.stores.set(resource, store);
    },
  });
  private enabled = false;

  private enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    this.hook.enable();
    if (!promiseTags) {
      const probe = Promise.resolve();
      promiseTags = Object.getOwnPropertySymbols(probe).filter((s) => s.description === 'async_id_symbol' || s.description === 'trigger_async_id_symbol');
      hideTags(probe);
    }
  }

  /** Runs `fn` with `store` as the context of it and of everything it starts. */
  run<R>(store: T, fn: () => R): R {
    this.enable();
    const resource = executionAsyncResource();
    const had = this.stores.has(resource);
    const old = this.stores.get(resource);
    this.stores.set(resource, store);
    try {
      return fn();
    } finally {
      if (had) this.stores.set(resource, old as T);
      else this.stores.delete(resource);
    }
  }

  /** The context of the code running now, if any. */
  get(): T | undefined {
    return this.enabled ? this.stores.get(executionAsyncResource()) : undefined;
  }

  /** Stops following new resources (contexts already given stay readable). */
  disable(): void {
    if (!this.enabled) return;
    this.hook.disable();
    this.enabled = false;
  }
}
