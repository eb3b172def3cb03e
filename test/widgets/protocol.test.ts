/** The kernel side of the widget protocol (2.1.0), driven through a fake kernel host. */
import * as fs from 'fs';
import * as path from 'path';
import { floatArray } from '../../src/widgets/arrays';
import { CONTROL_TARGET, MODULE_NAME, MODULE_SEMVER, MODULE_VERSION, PROTOCOL_VERSION, WIDGET_TARGET } from '../../src/widgets/module';
import { ProgressBar, progress } from '../../src/widgets/kernel/progress';
import { Widget, checks, WIDGET_VIEW_MIME } from '../../src/widgets/kernel/widget';
import { RGBAImage } from '../../src/viz/image';
import { DISPLAY, setDisplaySink, type DisplayOptions, type MimeBundle } from '../../src/display';
import { useFakeHost } from './fake-host';

const root = path.join(__dirname, '..', '..');

/** A widget with one checked control, one binary attribute and a held resource. */
class Probe extends Widget {
  disposed = 0;
  changes: string[][] = [];
  customs: unknown[] = [];
  constructor() {
    super({ modelName: 'ProbeModel', viewName: 'ProbeView' }, { size: 4, map: floatArray(new Float32Array([1, 2, 3, 4]), [2, 2]) });
    this.control('size', checks.integer('probe', 'size', 1, 8));
    this.onChange((keys) => this.changes.push(keys));
    this.onCustom((c) => this.customs.push(c));
    this.hold({ dispose: () => void this.disposed++ });
  }
  picture(): RGBAImage {
    return new RGBAImage(2, 2);
  }
  describe(): string {
    return 'probe';
  }
}

describe('widget protocol', () => {
  const host = useFakeHost();

  test('the module name and version come from package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(MODULE_NAME).toBe(`${pkg.name}/widgets/frontend`);
    expect(MODULE_VERSION).toBe(pkg.version);
    expect(MODULE_SEMVER).toBe(`^${pkg.version}`);
  });

  test('comm_open carries the full state, binary attributes as buffers, and metadata.version', () => {
    const w = new Probe();
    const [open] = host().sent;
    expect(open.type).toBe('comm_open');
    expect(open.target).toBe(WIDGET_TARGET);
    expect(open.metadata).toEqual({ version: PROTOCOL_VERSION });
    expect(open.data.buffer_paths).toEqual([['map', 'data']]);
    expect(open.data.state).toMatchObject({
      _model_name: 'ProbeModel', _model_module: MODULE_NAME, _model_module_version: MODULE_SEMVER,
      _view_name: 'ProbeView', _view_module: MODULE_NAME, _view_module_version: MODULE_SEMVER,
      size: 4, map: { dtype: 'float32', shape: [2, 2] }, message: '',
    });
    expect(Array.from(new Float32Array(open.buffers[0].buffer))).toEqual([1, 2, 3, 4]);
    expect(w.modelId).toBe(open.commId);
  });

  test('the display bundle has the widget view, a PNG of the view and a text line', () => {
    const w = new Probe();
    const bundle = w[DISPLAY]();
    expect(bundle[WIDGET_VIEW_MIME]).toEqual({ model_id: w.modelId, version_major: 2, version_minor: 1 });
    expect(Buffer.from(bundle['image/png'] as string, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(bundle['text/plain']).toBe('probe');
  });

  test('a front-end update is checked, echoed, and reaches the change handlers; a bad value is refused with a message', async () => {
    const w = new Probe();
    const comm = host().open.get(w.modelId)!;
    await comm.receive({ method: 'update', state: { size: 6 }, buffer_paths: [] });
    expect(w.get('size')).toBe(6);
    expect(w.changes).toEqual([['size']]);
    const echo = host().messages(w.modelId).filter((m) => m.type === 'comm_msg');
    expect(echo.map((m) => m.data)).toEqual([{ method: 'echo_update', state: { size: 6 }, buffer_paths: [] }]);
    host().sent.length = 0;
    await comm.receive({ method: 'update', state: { size: 0 }, buffer_paths: [] });
    expect(w.get('size')).toBe(6);
    expect(w.changes).toEqual([['size']]);
    const reply = host().messages(w.modelId).map((m) => m.data);
    expect(reply).toEqual([
      { method: 'echo_update', state: {}, buffer_paths: [] },
      { method: 'update', state: { size: 6, message: 'probe: size must be an integer from 1 to 8, got 0' }, buffer_paths: [] },
    ].filter((m) => Object.keys(m.state).length > 0));
    await comm.receive({ method: 'update', state: { size: 2 }, buffer_paths: [] });
    expect(w.get('message')).toBe('');
  });

  test('request_state is answered with a full update; the control comm answers request_states', async () => {
    const w = new Probe();
    const comm = host().open.get(w.modelId)!;
    host().sent.length = 0;
    await comm.receive({ method: 'request_state' });
    const [reply] = host().sent;
    expect(reply.data.method).toBe('update');
    expect(reply.data.state).toMatchObject({ _model_name: 'ProbeModel', size: 4 });
    expect(reply.data.buffer_paths).toEqual([['map', 'data']]);
    const control = await host().frontendOpen(CONTROL_TARGET, 'ctl');
    host().sent.length = 0;
    await control.receive({ method: 'request_states' });
    const [states] = host().sent;
    expect(states.data.method).toBe('update_states');
    expect((states.data.states as Record<string, { model_name: string }>)[w.modelId].model_name).toBe('ProbeModel');
    expect(states.data.buffer_paths).toEqual([[w.modelId, 'state', 'map', 'data']]);
    expect(states.buffers).toHaveLength(1);
    w.close();
  });

  test('custom messages both ways; close sends comm_close once and frees what the widget holds', async () => {
    const w = new Probe();
    const comm = host().open.get(w.modelId)!;
    await comm.receive({ method: 'custom', content: { event: 'cancel' } });
    expect(w.customs).toEqual([{ event: 'cancel' }]);
    w.sendCustom({ hello: 1 }, [new Uint8Array([5])]);
    expect(host().sent.at(-1)).toMatchObject({ data: { method: 'custom', content: { hello: 1 } }, buffers: [new Uint8Array([5])] });
    w.close();
    w.close();
    expect(host().sent.filter((m) => m.type === 'comm_close')).toHaveLength(1);
    expect(w.disposed).toBe(1);
    expect(w.closed).toBe(true);
  });

  test('a comm closed by the front end frees the widget too', async () => {
    const w = new Probe();
    host().open.get(w.modelId)!.close();
    expect(w.disposed).toBe(1);
  });
});

describe('progress bar', () => {
  const host = useFakeHost();

  test('in a kernel: a widget whose updates are throttled, the last one always sent', async () => {
    const bar = new ProgressBar('work', { total: 10, interval: 50 });
    for (let i = 1; i <= 10; i++) bar.update(i);
    bar.finish();
    const updates = host().messages(bar.modelId).filter((m) => m.type === 'comm_msg').map((m) => m.data.state as Record<string, unknown>);
    expect(updates.length).toBeLessThan(4);
    expect(updates.at(-1)).toEqual({ done: 10, total: 10, status: 'done' });
    expect(bar.describe()).toBe('work: 10/10 (100%) done');
    bar.close();
  });

  test('progress() shows the bar with a display id, and finish replaces that output (saved notebooks show the end)', () => {
    const shown: [MimeBundle, DisplayOptions][] = [];
    setDisplaySink({ display: (b, o) => shown.push([b, o]) });
    try {
      const bar = progress('steps', { total: 4 });
      bar.update(2);
      bar.finish();
      expect(shown.map(([, o]) => o)).toEqual([{ displayId: bar.modelId }, { displayId: bar.modelId, update: true }]);
      expect(shown.map(([b]) => b['text/plain'])).toEqual(['steps: 0/4 (0%)', 'steps: 4/4 (100%) done']);
      expect(shown[1][0][WIDGET_VIEW_MIME]).toMatchObject({ model_id: bar.modelId });
      bar.close();
    } finally {
      setDisplaySink(null);
    }
  });
});

describe('progress bar outside a notebook', () => {
  test('prints a line per tenth and the end', () => {
    const lines: string[] = [];
    const bar = progress('occlusion', { total: 100, write: (l) => lines.push(l) });
    for (let i = 1; i <= 100; i++) bar.update(i);
    bar.finish();
    expect(bar.live).toBe(false);
    expect(lines[0]).toBe('occlusion: 0/100 (0%)');
    expect(lines).toContain('occlusion: 50/100 (50%)');
    expect(lines.at(-1)).toBe('occlusion: 100/100 (100%) done');
    expect(lines.length).toBe(12);
  });
});
