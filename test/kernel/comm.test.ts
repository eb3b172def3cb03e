import { CommManager, type CommTransport } from '../../src/kernel/comm';
import { newHeader, type JSONObject, type Message } from '../../src/kernel/wire';

/** A transport that records what the comm layer publishes and runs handlers in place. */
function fakeTransport() {
  const sent: { type: string; content: JSONObject; buffers: Buffer[] }[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const transport: CommTransport = {
    publishComm: (type, content, _metadata, buffers) => {
      sent.push({ type, content, buffers });
      return newHeader(type, 'kernel-session');
    },
    runHandler: async (_msg, what, fn) => {
      try {
        await fn();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
      }
    },
    log: (t) => logs.push(t),
  };
  return { transport, sent, logs, errors };
}

function incoming(type: string, content: JSONObject, buffers: Buffer[] = []): Message {
  return { identities: [], header: newHeader(type, 'client'), parent_header: {}, metadata: {}, content, buffers };
}

describe('comms', () => {
  test('a front-end open reaches the target; messages and buffers flow both ways; close runs handlers', async () => {
    const { transport, sent } = fakeTransport();
    const comms = new CommManager(transport);
    const received: unknown[] = [];
    const closed: unknown[] = [];
    comms.registerTarget('t', (comm, open) => {
      received.push(['open', open.data, open.buffers.map((b) => [...b])]);
      comm.onMsg((m) => {
        received.push(['msg', m.data, m.buffers.map((b) => [...b])]);
        comm.send({ ack: true }, { buffers: [new Uint16Array([1, 258])] });
      });
      comm.onClose((m) => void closed.push(m.data));
    });
    await comms.handleOpen(incoming('comm_open', { comm_id: 'c1', target_name: 't', data: { a: 1 } }, [Buffer.from([7])]));
    await comms.handleMsg(incoming('comm_msg', { comm_id: 'c1', data: { b: 2 } }, [Buffer.from([8, 9])]));
    expect(received).toEqual([['open', { a: 1 }, [[7]]], ['msg', { b: 2 }, [[8, 9]]]]);
    expect(sent).toEqual([{ type: 'comm_msg', content: { comm_id: 'c1', data: { ack: true } }, buffers: [Buffer.from([1, 0, 2, 1])] }]);
    expect(comms.info()).toEqual({ c1: { target_name: 't' } });
    await comms.handleClose(incoming('comm_close', { comm_id: 'c1', data: { bye: 1 } }));
    expect(closed).toEqual([{ bye: 1 }]);
    expect(comms.info()).toEqual({});
  });

  test('a kernel-side comm opens, sends, filters comm_info by target, and closes once', () => {
    const { transport, sent } = fakeTransport();
    const comms = new CommManager(transport);
    const c = comms.openComm('k', { v: 1 }, { commId: 'k1', buffers: [new Float32Array([1])] });
    comms.openComm('other', {}, { commId: 'o1' });
    expect(sent[0]).toEqual({ type: 'comm_open', content: { comm_id: 'k1', target_name: 'k', data: { v: 1 } }, buffers: [Buffer.from(new Float32Array([1]).buffer)] });
    expect(comms.info('k')).toEqual({ k1: { target_name: 'k' } });
    let closes = 0;
    c.onClose(() => void closes++);
    c.close({ done: true });
    c.close();
    expect(closes).toBe(1);
    expect(sent.filter((s) => s.type === 'comm_close')).toEqual([{ type: 'comm_close', content: { comm_id: 'k1', data: { done: true } }, buffers: [] }]);
    expect(() => c.send({})).toThrow('Comm.send: comm k1 (target "k") is closed');
    expect(() => comms.openComm('k', {}, { commId: 'o1' })).toThrow('openComm: comm id "o1" is already open');
  });

  test('unknown comms are logged and ignored; an unknown target is closed; handler errors are reported', async () => {
    const { transport, sent, logs, errors } = fakeTransport();
    const comms = new CommManager(transport);
    await comms.handleMsg(incoming('comm_msg', { comm_id: 'nope', data: {} }));
    await comms.handleOpen(incoming('comm_open', { comm_id: 'x', target_name: 'missing', data: {} }));
    comms.registerTarget('bad', () => {
      throw new Error('no');
    });
    await comms.handleOpen(incoming('comm_open', { comm_id: 'y', target_name: 'bad', data: {} }));
    expect(logs).toEqual(['comm_msg for unknown comm "nope"; ignored', 'comm_open for unknown target "missing"; closing comm x']);
    expect(sent).toEqual([{ type: 'comm_close', content: { comm_id: 'x', data: {} }, buffers: [] }]);
    expect(errors).toEqual(['comm target "bad": no']);
  });
});
