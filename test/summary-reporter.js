/**
 * Prints one plain closing line, `jest: N passed, N failed[, N skipped]`, after jest's own summary, so
 * that tools that read a run's last lines see the counts in a common form.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const extra = skipped ? `, ${skipped} skipped` : '';
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${extra}\n`);
  }
}
module.exports = SummaryReporter;
