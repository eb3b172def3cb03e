// kernel: the public API that notebook cells and libraries use (comms, the interrupt signal, stdin, display).
// The protocol server itself (./server) is loaded only by `saliency-lab kernel`, so importing the
// package does not load zeromq or the TypeScript compiler.
export {
  currentSignal,
  registerCommTarget,
  openComm,
  listComms,
  input,
  inKernel,
  getKernelHost,
  setKernelHost,
  KernelError,
} from './api';
export type {
  BinaryData,
  Comm,
  CommMessage,
  CommMessageHandler,
  CommSendOptions,
  CommTargetHandler,
  OpenCommOptions,
  KernelHost,
  Header,
  JSONObject,
  JSONValue,
} from './api';
export { display, clearOutput } from '../display';
