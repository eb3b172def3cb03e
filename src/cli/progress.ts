/**
 * A one-line progress bar on stderr (stdout stays for results): redrawn in place on a terminal, at
 * most every 100 ms; one line every 10% when stderr is a file or a pipe (CI logs stay short).
 */
export type Progress = (done: number, total: number, detail?: string) => void;

export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
}

export function progressBar(stream: ProgressStream = process.stderr, width = 30): Progress {
  const started = Date.now();
  let lastDraw = 0;
  let lastTenth = -1;
  let finished = false;
  return (done, total, detail = '') => {
    if (finished) return;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const elapsed = (Date.now() - started) / 1000;
    const eta = frac > 0 ? elapsed / frac - elapsed : 0;
    const filled = Math.round(frac * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${detail}${detail ? ' ' : ''}${frac < 1 ? `eta ${Math.round(eta)}s` : `${elapsed.toFixed(0)}s`}`;
    const last = done >= total;
    if (stream.isTTY) {
      if (Date.now() - lastDraw > 100 || last) {
        // Clear to the end of the line: a shorter line must not leave the tail of a longer one.
        stream.write(`\r${line}\x1b[K`);
        lastDraw = Date.now();
      }
      if (last) stream.write('\n');
    } else {
      const tenth = Math.floor(frac * 10);
      if (tenth !== lastTenth) {
        stream.write(`${line}\n`);
        lastTenth = tenth;
      }
    }
    finished = last;
  };
}
