import { DISPLAY, clearOutput, display, setDisplaySink, type DisplayOptions, type MimeBundle } from '../../src/display';
import { KernelError, currentSignal, inKernel, input, openComm, registerCommTarget, setKernelHost, type KernelHost } from '../../src/kernel';

describe('kernel API outside and inside a kernel', () => {
  afterEach(() => {
    setKernelHost(null);
    setDisplaySink(null);
  });

  test('outside a kernel: no signal, comm functions say why they cannot work', async () => {
    expect(inKernel()).toBe(false);
    expect(currentSignal()).toBeUndefined();
    expect(() => registerCommTarget('t', () => undefined)).toThrow(KernelError);
    expect(() => openComm('t')).toThrow('openComm: no saliency-lab kernel is running in this process');
    await expect(input('?')).rejects.toThrow('input: no saliency-lab kernel is running');
  });

  test('the functions reach the host the kernel installed (one per process, shared by every copy)', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const host: KernelHost = {
      registerCommTarget: (name) => (calls.push(`register ${name}`), () => undefined),
      openComm: (name) => {
        calls.push(`open ${name}`);
        throw new Error('not needed');
      },
      comms: () => new Map(),
      currentSignal: () => controller.signal,
      input: async (prompt) => prompt.toUpperCase(),
    };
    setKernelHost(host);
    expect(inKernel()).toBe(true);
    expect(currentSignal()).toBe(controller.signal);
    registerCommTarget('jupyter.widget', () => undefined);
    expect(calls).toEqual(['register jupyter.widget']);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('saliency-lab.kernel')]).toBe(host);
  });

  test('display sends the mime bundle to the sink; without one it prints text/plain', () => {
    const shown: [MimeBundle, DisplayOptions][] = [];
    const cleared: boolean[] = [];
    const pic = { [DISPLAY]: () => ({ 'image/png': 'iVBOR', 'text/plain': 'a picture' }) };
    setDisplaySink({ display: (b, o) => shown.push([b, o]), clearOutput: (w) => cleared.push(w) });
    display(pic, { displayId: 'p' });
    display('plain text');
    clearOutput(true);
    expect(shown).toEqual([
      [{ 'image/png': 'iVBOR', 'text/plain': 'a picture' }, { displayId: 'p' }],
      [{ 'text/plain': 'plain text' }, {}],
    ]);
    expect(cleared).toEqual([true]);

    setDisplaySink(null);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      display(pic);
      expect(log).toHaveBeenCalledWith('a picture');
    } finally {
      log.mockRestore();
    }
  });
});
