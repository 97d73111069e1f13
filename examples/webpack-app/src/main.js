import { runExample } from './app.js';
import { runLangChain } from './langchain.js';

const out = document.querySelector('#log');
const log = (line) => {
  out.textContent += `${line}\n`;
};

try {
  const result = await runExample(log);
  result.langchain = await runLangChain(log);
  window.mnemoExample = { ok: true, ...result };
} catch (error) {
  log(`failed: ${error?.message ?? error}`);
  window.mnemoExample = { ok: false, error: String(error?.message ?? error) };
}
document.body.dataset.done = 'true';
