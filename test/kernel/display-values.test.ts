import { inspect } from 'util';
import { DISPLAY, plainText, toMimeBundle } from '../../src/display';
import { HiddenContext } from '../../src/kernel/context';
import { SourceMap, inlineSourceMap } from '../../src/kernel/sourcemap';

describe('display of odd values never throws and never emits keys that are not mime types', () => {
  const text = (x: unknown) => toMimeBundle(x);

  test('Proxies, a revoked Proxy, throwing inspection: a plain-text rendering', () => {
    expect(text(new Proxy({}, { get() { throw new Error('trap'); } }))).toEqual({ 'text/plain': '{}' });
    expect(text(new Proxy({ a: 1 }, { get: () => () => [1, 2, 3] }))).toEqual({ 'text/plain': '{ a: 1 }' });
    const r = Proxy.revocable({}, {});
    r.revoke();
    expect(text(r.proxy)).toEqual({ 'text/plain': '<Revoked Proxy>' });
    const custom = { c: 3, [inspect.custom]: () => { throw new Error('inspect fails'); } };
    expect(plainText(custom)).toContain('c: 3');
  });

  test('a display method that throws or returns no bundle falls back; bad entries are dropped', () => {
    expect(text({ b: 2, [DISPLAY]: () => { throw new Error('hook'); } })['text/plain']).toMatch(/^\{ b: 2/);
    expect(Object.keys(text({ [DISPLAY]: () => [1, 2] }))).toEqual(['text/plain']);
    expect(Object.keys(text({ [DISPLAY]: () => new Proxy({ 'text/html': 'x' }, {}) }))).toEqual(['text/plain']);
    const bundle = text({ [DISPLAY]: () => ({ '0': 'x', 'text/html': '<b>ok</b>', 'application/json': { toJSON() { throw new Error('j'); } }, 'image/png': new Uint8Array([1]), 'text/x': undefined }) });
    expect(bundle).toEqual({ 'text/html': '<b>ok</b>', 'image/png': new Uint8Array([1]) });
  });

  test('strings: the display of a string is its text; plainText quotes as the REPL does', () => {
    expect(text('plain')).toEqual({ 'text/plain': 'plain' });
    expect(plainText('abcd')).toBe("'abcd'");
    expect(plainText("it's")).toBe('"it\'s"');
  });
});

describe('HiddenContext: follows async work, invisible on promises', () => {
  test('timers, promises and callbacks started in run() see the context; inspect shows none of it', async () => {
    const ctx = new HiddenContext<{ id: string }>();
    const seen: (string | undefined)[] = [];
    let shown = '';
    await ctx.run({ id: 'a' }, async () => {
      const p = new Promise((r) => setTimeout(r, 5));
      shown = inspect({ p });
      await p;
      seen.push(ctx.get()?.id);
      await new Promise<void>((r) => setImmediate(() => (seen.push(ctx.get()?.id), r())));
      await new Promise<void>((r) => process.nextTick(() => (seen.push(ctx.get()?.id), r())));
    });
    ctx.run({ id: 'b' }, () => setTimeout(() => seen.push(ctx.get()?.id), 1));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['a', 'a', 'a', 'b']);
    expect(ctx.get()).toBeUndefined();
    // Other AsyncLocalStorage instances that earlier test files in this jest worker enabled (playwright's,
    // for one) tag every promise with their own empty `[Symbol(kResourceStore)]: undefined`; a kernel
    // process has none. Only those foreign, empty entries are ignored: our context must add nothing.
    const foreign = /,?\s*\[Symbol\(kResourceStore\)\]: undefined/g;
    expect(shown.replace(foreign, '').replace(/\s+/g, ' ')).toBe('{ p: Promise { <pending> } }');
    ctx.disable();
  });
});

describe('source maps', () => {
  test('segments decode; a lookup keeps the offset from the segment before the column', () => {
    // Line 0: col 0 -> src (0, 0); col 4 -> src (1, 2). Line 1: col 2 -> src (3, 0).
    const map = new SourceMap('AAAA,IACE;EAEF');
    expect(map.lookup({ line: 0, column: 0 })).toEqual({ line: 0, column: 0 });
    expect(map.lookup({ line: 0, column: 6 })).toEqual({ line: 1, column: 4 });
    expect(map.lookup({ line: 1, column: 2 })).toEqual({ line: 3, column: 0 });
    expect(map.lookup({ line: 5, column: 0 })).toBeUndefined();
    const json = JSON.stringify({ version: 3, mappings: 'AAAA' });
    expect(inlineSourceMap(`x;\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(json).toString('base64')}`)).toBe(json);
  });
});
