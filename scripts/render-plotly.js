#!/usr/bin/env node
// Draws every `<name>.plotly.json` (a plotly figure spec, `{data, layout}`) in a directory to `<name>.png`
// with plotly.js (plotly.js-dist-min) in headless Chromium through playwright-core.
//   node scripts/render-plotly.js DIR        (Chromium at /usr/bin/chromium, or CHROMIUM=path)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

async function renderDir(dir) {
  const { chromium } = require('playwright-core');
  const plotly = require.resolve('plotly.js-dist-min');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'render-plotly-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    await page.setContent('<html><body><div id="fig"></div></body></html>');
    await page.addScriptTag({ path: plotly });
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.plotly.json')).sort()) {
      const spec = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      const url = await page.evaluate(async (s) => {
        const P = globalThis.Plotly;
        await P.newPlot('fig', s.data, { ...s.layout, font: { size: 12 } }, { staticPlot: true });
        return P.toImage('fig', { format: 'png', width: s.layout.width ?? 640, height: s.layout.height ?? 420 });
      }, spec);
      fs.writeFileSync(path.join(dir, file.replace(/\.plotly\.json$/, '.png')), Buffer.from(url.split(',')[1], 'base64'));
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

module.exports = { renderDir };
if (require.main === module) renderDir(path.resolve(process.argv[2] ?? '.')).catch((e) => { console.error(e); process.exitCode = 1; });
