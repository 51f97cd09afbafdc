// Takes the README's screenshots from the running system with headless Chromium
// (playwright-core driving Debian's /usr/bin/chromium): the trace of the slowest recent
// GET /movie in the trace store's UI, a Prometheus graph, and Prometheus's alerts page.
//
//   node scripts/screenshots.mjs OUT_DIR TRACE_URL
// (scripts/screenshots.sh finds the trace and runs this.)
import { chromium } from "playwright-core";

const [outDir, traceUrl] = process.argv.slice(2);
if (!outDir || !traceUrl) {
  console.error("usage: screenshots.mjs OUT_DIR TRACE_URL");
  process.exit(2);
}

const prometheus = "http://127.0.0.1:9090";
const graph = new URLSearchParams({
  "g0.expr":
    'histogram_quantile(0.99, sum by (le) (rate(wasmcloud_host_http_server_request_duration_seconds_bucket[1m])))',
  "g0.tab": "0",
  "g0.range_input": "15m",
  "g1.expr": 'sum by (component_ref) (rate(wasmcloud_host_component_invocations_total[1m]))',
  "g1.tab": "0",
  "g1.range_input": "15m",
});

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });

  await page.goto(traceUrl, { waitUntil: "networkidle", timeout: 60000 });
  // The UI loads the trace after the page: wait until its spans are drawn.
  await page.getByText("SELECT movie_rating").first().waitFor({ timeout: 60000 });
  await page.waitForTimeout(2000);
  await page.screenshot({ path: `${outDir}/trace.png` });
  console.log(`${outDir}/trace.png  <- ${traceUrl}`);

  const graphUrl = `${prometheus}/classic/graph?${graph}`;
  await page.goto(graphUrl, { waitUntil: "networkidle", timeout: 60000 });
  await page.waitForTimeout(3000);
  await page.screenshot({ path: `${outDir}/prometheus-graph.png`, fullPage: true });
  console.log(`${outDir}/prometheus-graph.png  <- ${graphUrl}`);

  await page.goto(`${prometheus}/classic/alerts`, { waitUntil: "networkidle", timeout: 60000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${outDir}/prometheus-alerts.png`, fullPage: true });
  console.log(`${outDir}/prometheus-alerts.png`);
} finally {
  await browser.close();
}
