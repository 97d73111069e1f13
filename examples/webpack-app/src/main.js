import { runExample } from './app.js';
// LangChain: uncomment once `mnemo/langchain` is in the package (scripts/test-examples.mjs then expects it).
// import { runLangChain } from './langchain.js';
const runLangChain = undefined;

const out = document.querySelector('#log');
const log = (line) => {
  out.textContent += `${line}\n`;
};

try {
  const result = await runExample(log);
  if (runLangChain) result.langchain = await runLangChain(log);
  window.mnemoExample = { ok: true, ...result };
} catch (error) {
  log(`failed: ${error?.message ?? error}`);
  window.mnemoExample = { ok: false, error: String(error?.message ?? error) };
}
document.body.dataset.done = 'true';
