/**
 * The one module that reads a GraphModel's internals (its executor graph: nodes, their inputs and
 * consumers, parsed attributes; its weight map): the order nodes run in, short layer names, output shapes
 * from a probe pass, the node to fetch for pre-softmax scores, the spatial-mean → matrix-product head that
 * CAM needs, and running the graph with nodes captured and one fed.
 *
 * tfjs-converter writes a Keras model's nodes as `StatefulPartitionedCall/<model>/<layer>/<op>` (FACTS.md):
 * the scope segments of a node's name are its enclosing Keras layers and models. A short name `n` (one
 * scope segment, or a `/`-joined tail of a scope path such as `inner/conv`) names the node through which
 * that scope's computation leaves it: its "exit", the node inside the scope whose output is read outside
 * it (or is the model's output). A full node name always works and wins over a short one.
 */
import * as tf from '@tensorflow/tfjs';
import { AmbiguousLayerError, LayerError, ModelError, UnknownLayerError } from '../errors';

/** A node of tfjs-converter's executor graph, as far as we read it. */
export interface GraphNode {
  name: string;
  op: string;
  attrParams: Record<string, { value?: unknown } | undefined>;
  inputs: GraphNode[];
  children: GraphNode[];
}

/** Ops that are not layers: never listed, never a CAM layer. */
const NOT_LISTED = new Set(['Const', 'Placeholder', 'PlaceholderWithDefault', 'Identity', 'NoOp']);
/** Ops that only move or reshape data: their 4-D outputs are not feature maps for CAM. */
const DATA_MOVEMENT = new Set([
  'Reshape', 'Transpose', 'Tile', 'Pad', 'PadV2', 'MirrorPad', 'Squeeze', 'ExpandDims', 'Cast', 'Shape',
  'StridedSlice', 'Slice', 'Split', 'SplitV', 'Unpack', 'Pack', 'StopGradient', 'Snapshot', 'EnsureShape',
]);
/** Scope segments added by TensorFlow's function tracing, not by Keras. */
const WRAPPERS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);

function graphOf(where: string, model: tf.GraphModel): Record<string, GraphNode> {
  const nodes = (model as unknown as { executor?: { graph?: { nodes?: Record<string, GraphNode> } } }).executor?.graph?.nodes;
  if (!nodes) throw new ModelError(where, 'this GraphModel exposes no graph (load it with tf.loadGraphModel)');
  return nodes;
}

function nodeName(tensorName: string): string {
  return tensorName.replace(/^\^/, '').split(':')[0];
}

/** Skips Identity-like nodes upward (towards the inputs). */
function throughIdentity(n: GraphNode): GraphNode {
  while ((n.op === 'Identity' || n.op === 'StopGradient' || n.op === 'Snapshot') && n.inputs.length > 0) n = n.inputs[0];
  return n;
}

export interface GraphCamHead {
  featureNode: string;
  /** Reads the class weights `[c, K]`; the caller owns the result. */
  kernel(): tf.Tensor2D;
}

export const NO_GRAPH_CAM_HEAD = 'CAM needs a model that ends in a spatial mean (global average pooling) then a matrix product (optionally with a bias and a softmax after); use gradCam, which works on any model';

/** Everything derived once from a GraphModel's graph. */
export class GraphIndex {
  /** Every node, in an order that runs each node after its inputs. */
  readonly order: GraphNode[];
  /** The nodes listed as layers (no constants, placeholders, identities), in run order. */
  readonly listed: GraphNode[];
  readonly inputNode: string;
  readonly outputNode: string;
  private readonly byName: Map<string, GraphNode>;
  /** Scope path → its exit nodes. */
  private readonly exits = new Map<string, GraphNode[]>();
  /** Last scope segment → the scope paths ending in it. */
  private readonly scopesBySegment = new Map<string, string[]>();
  private readonly ancestorCache = new Map<string, Set<string>>();
  private readonly shapeCache = new Map<string, Map<string, number[]>>();
  private shortNames: Map<string, string> | null = null;

  constructor(where: string, private readonly model: tf.GraphModel) {
    const nodes = graphOf(where, model);
    this.byName = new Map(Object.entries(nodes));
    this.order = topologicalOrder(Object.values(nodes));
    this.listed = this.order.filter((n) => !NOT_LISTED.has(n.op));
    this.inputNode = nodeName(model.inputs[0]?.name ?? model.inputNodes[0]);
    this.outputNode = nodeName(model.outputs[0]?.name ?? model.outputNodes[0]);
    const outputs = new Set(model.outputs.map((o) => nodeName(o.name)));
    for (const n of this.listed) {
      const segs = n.name.split('/');
      for (let j = 0; j < segs.length - 1; j++) {
        if (WRAPPERS.has(segs[j])) continue;
        const scope = segs.slice(0, j + 1).join('/');
        if (!this.exits.has(scope)) {
          this.exits.set(scope, []);
          const bySeg = this.scopesBySegment.get(segs[j]) ?? [];
          bySeg.push(scope);
          this.scopesBySegment.set(segs[j], bySeg);
        }
        const inside = scope + '/';
        if (outputs.has(n.name) || n.children.some((c) => !c.name.startsWith(inside))) this.exits.get(scope)?.push(n);
      }
    }
  }

  node(name: string): GraphNode | undefined {
    return this.byName.get(name);
  }

  /** The node a name stands for: a full node name, or a short name (see the module comment); null if none. */
  private lookup(name: string): GraphNode[] {
    const exact = this.byName.get(name);
    if (exact) return [exact];
    const segs = name.split('/');
    const scopes = (this.scopesBySegment.get(segs[segs.length - 1]) ?? []).filter((s) => s === name || s.endsWith('/' + name));
    const hits = new Set<GraphNode>();
    for (const s of scopes) for (const n of this.exits.get(s) ?? []) hits.add(n);
    return [...hits];
  }

  /** The full node name for a layer name; UnknownLayerError (with the short names) or AmbiguousLayerError. */
  resolve(where: string, name: string): string {
    const hits = this.lookup(name);
    if (hits.length === 1) return hits[0].name;
    if (hits.length > 1) throw new AmbiguousLayerError(where, name, hits.map((n) => n.name));
    throw new UnknownLayerError(where, name, this.listed.map((n) => this.shortName(n.name)));
  }

  /** The shortest scope tail that names this node alone, else its full name. */
  shortName(name: string): string {
    if (!this.shortNames) {
      this.shortNames = new Map();
      for (const n of this.listed) {
        const scope = n.name.split('/').slice(0, -1);
        let short = n.name;
        for (let len = 1; len <= scope.length; len++) {
          if (WRAPPERS.has(scope[scope.length - 1])) break;
          const candidate = scope.slice(scope.length - len).join('/');
          const hits = this.lookup(candidate);
          if (hits.length === 1 && hits[0] === n) {
            short = candidate;
            break;
          }
        }
        this.shortNames.set(n.name, short);
      }
    }
    return this.shortNames.get(name) ?? name;
  }

  /** The node fetched for scores: the input of a final Softmax when `preSoftmax`, else the output. */
  scoresNode(preSoftmax: boolean): string {
    const out = this.byName.get(this.outputNode);
    if (!out) return this.outputNode;
    const last = throughIdentity(out);
    if (preSoftmax && last.op === 'Softmax' && last.inputs.length > 0) return last.inputs[0].name;
    return this.outputNode;
  }

  endsInSoftmax(): boolean {
    const out = this.byName.get(this.outputNode);
    return out !== undefined && throughIdentity(out).op === 'Softmax';
  }

  /** Names of every node `name` depends on (not itself). */
  ancestors(name: string): Set<string> {
    let hit = this.ancestorCache.get(name);
    if (hit) return hit;
    hit = new Set();
    const stack = [...(this.byName.get(name)?.inputs ?? [])];
    while (stack.length) {
      const n = stack.pop() as GraphNode;
      if (hit.has(n.name)) continue;
      hit.add(n.name);
      stack.push(...n.inputs);
    }
    this.ancestorCache.set(name, hit);
    return hit;
  }

  /** Whether the scores depend on the input other than through `name` (a skip path around it). */
  bypasses(name: string, preSoftmax: boolean): boolean {
    const seen = new Set<string>([name]);
    const stack = [this.byName.get(this.scoresNode(preSoftmax))].filter((n): n is GraphNode => n !== undefined);
    while (stack.length) {
      const n = stack.pop() as GraphNode;
      if (seen.has(n.name)) continue;
      if (n.name === this.inputNode) return true;
      seen.add(n.name);
      stack.push(...n.inputs);
    }
    return false;
  }

  /**
   * The nodes upstream of `name` that the scores also read along another path (the start of a skip
   * connection around it, or the input itself): fed together with `name`, they let the part after `name`
   * run alone, without computing anything upstream again.
   */
  frontier(name: string, preSoftmax: boolean): string[] {
    const upstream = this.ancestors(name);
    const scores = this.scoresNode(preSoftmax);
    const needed = this.ancestors(scores);
    const out: string[] = [];
    for (const n of upstream) {
      const node = this.byName.get(n);
      if (!node || node.op === 'Const') continue;
      if (node.children.some((c) => c.name !== name && !upstream.has(c.name) && (needed.has(c.name) || c.name === scores))) out.push(n);
    }
    return out;
  }

  /** The input shape `[null, H, W, C]` from the input node (or the signature), nulls for open sizes. */
  inputShape(): (number | null)[] | null {
    let dims = this.model.inputs[0]?.shape as number[] | undefined;
    if (!dims) {
      const sig = this.model.modelSignature as { inputs?: Record<string, { tensorShape?: { dim?: { size?: string | number }[] } }> } | undefined;
      const entry = sig?.inputs ? Object.values(sig.inputs)[0] : undefined;
      dims = entry?.tensorShape?.dim?.map((d) => Number(d.size ?? -1));
    }
    return dims ? dims.map((d, i) => (i === 0 || d === -1 || d === undefined ? null : d)) : null;
  }

  /**
   * Output shapes of the listed nodes at input size `[h, w]`, from one probe pass on zeros (batch 1),
   * cached; null when the channel count is unknown.
   */
  probeShapes(where: string, size: [number, number]): Map<string, number[]> | null {
    const dims = this.inputShape();
    const channels = dims && dims.length === 4 ? dims[3] : null;
    if (channels === null) return null;
    const key = `${size[0]}x${size[1]}x${channels}`;
    const hit = this.shapeCache.get(key);
    if (hit) return hit;
    const names = this.listed.map((n) => n.name);
    let shapes: number[][];
    try {
      shapes = tf.tidy(() => {
        const dtype = (this.model.inputs[0]?.dtype as tf.DataType | undefined) ?? 'float32';
        const r = this.model.execute({ [this.inputNode]: tf.zeros([1, size[0], size[1], channels], dtype) }, names);
        return (Array.isArray(r) ? r : [r]).map((t) => t.shape);
      });
    } catch (e) {
      throw new ModelError(where, `could not run this GraphModel at input size ${size[0]}×${size[1]} to find its layers' output shapes (${(e as Error).message})`);
    }
    const map = new Map(names.map((n, i) => [n, shapes[i]]));
    this.shapeCache.set(key, map);
    return map;
  }

  /**
   * The last node, in run order, that the scores depend on and whose output is a spatial feature map at
   * the probed size: 4-D, more than one position, and not a data-movement op (reshape, transpose, pad,
   * slice, ...). Failing that, the last 4-D node. LayerError when there is none.
   */
  defaultCamNode(where: string, shapes: Map<string, number[]>, preSoftmax: boolean): string {
    const feeds = this.ancestors(this.scoresNode(preSoftmax));
    const candidates = this.listed.filter((n) => feeds.has(n.name) && shapes.get(n.name)?.length === 4);
    const spatial = candidates.filter((n) => {
      const s = shapes.get(n.name) as number[];
      return s[1] * s[2] > 1 && !DATA_MOVEMENT.has(n.op);
    });
    const pick = spatial.length > 0 ? spatial : candidates;
    if (pick.length === 0) throw new LayerError(where, 'no node with a 4-D output in this GraphModel');
    return pick[pick.length - 1].name;
  }

  /**
   * The head CAM needs: from the output, through Identity and a final Softmax, a matrix product (MatMul,
   * or _FusedMatMul with at most a fused BiasAdd; a separate BiasAdd/Add of a constant is allowed) whose
   * weights are a constant and whose input is (through Reshape/Squeeze) a Mean over axes 1 and 2.
   * LayerError naming the node where the walk stopped.
   */
  async camHead(where: string): Promise<GraphCamHead> {
    const out = this.byName.get(this.outputNode);
    if (!out) throw new LayerError(where, `${NO_GRAPH_CAM_HEAD}; the output node "${this.outputNode}" is not in the graph`);
    const fail = (what: string, n: GraphNode) => new LayerError(where, `${NO_GRAPH_CAM_HEAD}; ${what} ${n.op} "${n.name}"`);
    let n = throughIdentity(out);
    if (n.op === 'Softmax') n = throughIdentity(n.inputs[0]);
    if (['BiasAdd', 'Add', 'AddV2'].includes(n.op) && n.inputs.length === 2) {
      const constant = n.inputs.findIndex((i) => throughIdentity(i).op === 'Const');
      if (constant >= 0) n = throughIdentity(n.inputs[1 - constant]);
    }
    const fused = ((n.attrParams.fusedOps?.value as string[] | undefined) ?? []).map((s) => s.toLowerCase());
    const linear = n.op === 'MatMul' || (n.op === '_FusedMatMul' && fused.every((op) => op === 'biasadd'));
    if (!linear) throw fail('the output comes from', n);
    if (n.attrParams.transposeA?.value === true) throw fail('the matrix product has a transposed input:', n);
    const b = throughIdentity(n.inputs[1]);
    if (b.op !== 'Const') throw fail('the matrix product\'s weights are not a constant in', n);
    const transposeB = n.attrParams.transposeB?.value === true;
    const direct = throughIdentity(n.inputs[0]);
    let a = direct;
    while ((a.op === 'Reshape' || a.op === 'Squeeze') && a.inputs.length > 0) a = throughIdentity(a.inputs[0]);
    const axes = a.op === 'Mean' && a.inputs.length === 2 ? this.constValue(a.inputs[1]) : null;
    const spatial = axes !== null && [...(await axes.data())].map((v) => (v < 0 ? v + 4 : v)).sort().join() === '1,2';
    axes?.dispose();
    if (!spatial) throw fail(`the matrix product "${n.name}" is fed by`, a.op === 'Mean' ? a : direct);
    const weights = this.constValue(b);
    if (!weights) throw fail('no weights for', b);
    weights.dispose();
    return {
      featureNode: throughIdentity(a.inputs[0]).name,
      kernel: () => tf.tidy(() => {
        const w = this.constValue(b) as tf.Tensor2D;
        return transposeB ? tf.transpose(w) : w;
      }),
    };
  }

  /** A copy of a constant node's value (the caller owns it), or null. */
  private constValue(n: GraphNode): tf.Tensor | null {
    const w = (this.model.weights as Record<string, tf.Tensor[] | undefined>)[throughIdentity(n).name];
    return w && w[0] ? tf.clone(w[0]) : null;
  }
}

/** Depth-first post-order over inputs, starting from the nodes in the model file's order. */
function topologicalOrder(nodes: GraphNode[]): GraphNode[] {
  const done = new Set<GraphNode>();
  const out: GraphNode[] = [];
  for (const root of nodes) {
    if (done.has(root)) continue;
    const stack: [GraphNode, number][] = [[root, 0]];
    const onStack = new Set<GraphNode>([root]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [n, i] = top;
      if (i < n.inputs.length) {
        top[1]++;
        const next = n.inputs[i];
        if (!done.has(next) && !onStack.has(next)) {
          onStack.add(next);
          stack.push([next, 0]);
        }
      } else {
        stack.pop();
        onStack.delete(n);
        done.add(n);
        out.push(n);
      }
    }
  }
  return out;
}

export interface GraphRun {
  /** Node names to capture, distinct. */
  capture: string[];
  replace: { node: string; by: tf.Tensor | ((a: tf.Tensor) => tf.Tensor) } | null;
  /** The node to fetch as the output, or null (stop once the captured nodes are computed). */
  output: string | null;
  /** More nodes fed with given values (see GraphIndex.frontier). */
  feeds?: tf.NamedTensorMap;
}

/** The batch size the model's input fixes (exported models often say 1), or null when it is open. */
function fixedBatch(model: tf.GraphModel): number | null {
  const b = model.inputs[0]?.shape?.[0];
  return typeof b === 'number' && b > 0 ? b : null;
}

/**
 * model.execute, in chunks of the fixed batch when the signature fixes one (tfjs refuses any other batch):
 * every feed is split along its first axis and the fetched outputs are concatenated (differentiably).
 */
function execute(model: tf.GraphModel, feeds: tf.NamedTensorMap, names: string[]): tf.Tensor[] {
  if (names.length === 0) return [];
  const fixed = fixedBatch(model);
  const n = Object.values(feeds)[0]?.shape[0];
  const run = (f: tf.NamedTensorMap) => {
    const r = model.execute(f, names);
    return Array.isArray(r) ? r : [r];
  };
  if (fixed === null || n === undefined || n === fixed || n % fixed !== 0) return run(feeds);
  const parts: tf.Tensor[][] = [];
  for (let start = 0; start < n; start += fixed) {
    parts.push(tf.tidy(() => run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, tf.slice(t, start, fixed)])))));
  }
  const out = names.map((_, i) => tf.concat(parts.map((p) => p[i])));
  tf.dispose(parts);
  return out;
}

/**
 * Runs the graph with nodes captured and one replaced: the executor computes only what the fetched nodes
 * need, so fetching only captured nodes stops early, and a fed node's own inputs are not computed (unless
 * something else needs them). Captured nodes upstream of the replaced one come from a first run, the rest
 * and the output from a run with the replacement fed. `x` may be null when nothing fetched needs it (a
 * tail with nothing bypassing the fed node). Sync; ordinary tensors of the caller's scope.
 */
export function runGraph(model: tf.GraphModel, index: GraphIndex, x: tf.Tensor | null, run: GraphRun): { activations: tf.Tensor[]; output: tf.Tensor | null } {
  const feeds: tf.NamedTensorMap = { ...(x ? { [index.inputNode]: x } : {}), ...run.feeds };
  const values = new Map<string, tf.Tensor>();
  const fetch = (f: tf.NamedTensorMap, names: string[]) => {
    const unique = [...new Set(names)];
    execute(model, f, unique).forEach((t, i) => values.set(unique[i], t));
  };
  const made: tf.Tensor[] = [];
  try {
    if (!run.replace) {
      fetch(feeds, [...run.capture, ...(run.output ? [run.output] : [])]);
    } else {
      const r = run.replace.node;
      const upstream = index.ancestors(r);
      const before = run.capture.filter((n) => n !== r && upstream.has(n));
      let a: tf.Tensor;
      if (run.replace.by instanceof tf.Tensor) {
        fetch(feeds, before);
        a = run.replace.by;
      } else {
        fetch(feeds, [r, ...before]);
        const original = values.get(r) as tf.Tensor;
        values.delete(r);
        a = run.replace.by(original);
        if (a !== original) original.dispose();
        else made.push(a);
      }
      const after = run.capture.filter((n) => n !== r && !before.includes(n));
      fetch({ ...feeds, [r]: a }, [...after, ...(run.output ? [run.output] : [])]);
      // The captured value of the replaced node is the replacement (a copy: `by` may be the caller's tensor).
      values.set(r, a === run.replace.by ? tf.clone(a) : a);
    }
  } catch (e) {
    tf.dispose([...values.values(), ...made]);
    throw e;
  }
  const activations = run.capture.map((n) => values.get(n) as tf.Tensor);
  const output = run.output ? (values.get(run.output) as tf.Tensor) : null;
  const kept = new Set<tf.Tensor>([...activations, ...(output ? [output] : [])]);
  for (const t of values.values()) if (!kept.has(t)) t.dispose();
  return { activations, output };
}
