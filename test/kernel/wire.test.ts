import { Signer, WireError, decode, encode, newHeader, type Message } from '../../src/kernel/wire';
import { History, globToRegExp } from '../../src/kernel/history';
import { cursorToUtf16, utf16ToCodePoints } from '../../src/kernel/shell';

const signer = new Signer('secret-key');

function message(buffers: Buffer[] = []): Message {
  return { identities: [Buffer.from('client-1')], header: newHeader('comm_msg', 'session-a'), parent_header: {}, metadata: {}, content: { comm_id: 'c', data: { x: 1 } }, buffers };
}

describe('wire: HMAC-SHA256 signed multipart messages', () => {
  test('round trip keeps identities, JSON parts and binary buffers', () => {
    const m = message([Buffer.from([0, 1, 255]), Buffer.alloc(0)]);
    const d = decode(encode(m, signer), signer);
    expect(d.identities).toEqual(m.identities);
    expect(d.header).toEqual(m.header);
    expect(d.content).toEqual(m.content);
    expect(d.buffers).toEqual(m.buffers);
  });

  test('the signature is the hex HMAC of the four JSON parts only', () => {
    const frames = encode(message([Buffer.from('binary')]), signer);
    const at = frames.findIndex((f) => f.toString() === '<IDS|MSG>');
    const { createHmac } = require('crypto') as typeof import('crypto');
    const h = createHmac('sha256', 'secret-key');
    for (const p of frames.slice(at + 2, at + 6)) h.update(p);
    expect(frames[at + 1].toString()).toBe(h.digest('hex'));
  });

  test('a wrong key, a changed part, bad JSON and a missing delimiter are refused', () => {
    const frames = encode(message(), signer);
    expect(() => decode(frames, new Signer('other-key'))).toThrow(new WireError('invalid HMAC signature'));
    const changed = [...frames];
    changed[changed.length - 1] = Buffer.from('{"comm_id":"c","data":{"x":2}}');
    expect(() => decode(changed, signer)).toThrow('invalid HMAC signature');
    const bad = [Buffer.from('<IDS|MSG>'), Buffer.alloc(0), Buffer.from('{oops'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
    bad[1] = Buffer.from(signer.sign(bad.slice(2)));
    expect(() => decode(bad, signer)).toThrow(/header is not valid JSON/);
    expect(() => decode([Buffer.from('x')], signer)).toThrow(/no <IDS\|MSG> delimiter/);
  });

  test('an empty key means unsigned messages', () => {
    const none = new Signer('');
    const frames = encode(message(), none);
    expect(frames[2].toString()).toBe('');
    expect(decode(frames, none).content).toEqual({ comm_id: 'c', data: { x: 1 } });
  });

  test('only hmac-sha256 is accepted', () => {
    expect(() => new Signer('k', 'hmac-md5')).toThrow('unsupported signature_scheme "hmac-md5"');
  });
});

describe('history: tail, range, search', () => {
  const h = new History();
  ['a = 1', '6 * 7', 'b = 2', '6 * 7', '6 * 8'].forEach((code, i) => h.add(i + 1, code, `out${i + 1}`));

  test('tail gives the last n, with output on request', () => {
    expect(h.query({ hist_access_type: 'tail', n: 2 })).toEqual([[1, 4, '6 * 7'], [1, 5, '6 * 8']]);
    expect(h.query({ hist_access_type: 'tail', n: 1, output: true })).toEqual([[1, 5, ['6 * 8', 'out5']]]);
  });

  test('range is [start, stop) in the session', () => {
    expect(h.query({ hist_access_type: 'range', session: 1, start: 2, stop: 4 })).toEqual([[1, 2, '6 * 7'], [1, 3, 'b = 2']]);
    expect(h.query({ hist_access_type: 'range', session: 7, start: 1, stop: 9 })).toEqual([]);
  });

  test('search matches globs; unique keeps the latest of each input; n the last n', () => {
    expect(h.query({ hist_access_type: 'search', pattern: '6 ?*' }).map((e) => (e as unknown[])[1])).toEqual([2, 4, 5]);
    expect(h.query({ hist_access_type: 'search', pattern: '6 * 7', unique: true })).toEqual([[1, 4, '6 * 7']]);
    expect(h.query({ hist_access_type: 'search', pattern: '*', n: 2 }).length).toBe(2);
    expect(globToRegExp('a[!b]c?').test('axcd')).toBe(true);
    expect(globToRegExp('a.c').test('abc')).toBe(false);
  });
});

describe('cursor positions: protocol code points <-> JavaScript UTF-16 indexes', () => {
  const code = 'const s = "😀"; s.len';
  test('an astral character counts 1 in the protocol and 2 in JavaScript', () => {
    expect(cursorToUtf16(code, [...code].length)).toBe(code.length);
    expect(utf16ToCodePoints(code, code.length)).toBe([...code].length);
    expect(cursorToUtf16(code, 12)).toBe(13); // after the emoji
    expect(cursorToUtf16('abc', undefined)).toBe(3);
  });
});
