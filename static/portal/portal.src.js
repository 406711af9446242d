// The portal's JavaScript: htmx for the report fragments and ECharts for the charts,
// bundled by build.mjs into static/js/portal.js. Pages carry no inline script: a
// chart's data is JSON in its .chart element's data-chart attribute, and behaviour
// hangs on data-* attributes, so a strict Content-Security-Policy can forbid inline
// scripts and event handlers (htmx's own eval and inline styles are turned off in the
// layout's htmx-config).
import htmx from 'htmx.org';
import { drawCharts, resizeCharts } from './charts.js';

window.htmx = htmx;

// Copy buttons: <button data-copy="ID"> copies the text of the element #ID.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-copy]');
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.value !== undefined ? source.value : source.textContent;
  const done = (label) => {
    const before = button.textContent;
    button.textContent = label;
    setTimeout(() => { button.textContent = before; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done('Copied'), () => done('Copy failed'));
  } else {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    done(document.execCommand('copy') ? 'Copied' : 'Press Ctrl+C');
  }
});

// Charts in the page, and in every fragment htmx swaps in.
document.addEventListener('DOMContentLoaded', () => drawCharts(document));
document.addEventListener('htmx:load', (event) => drawCharts(event.detail.elt));
window.addEventListener('resize', resizeCharts);
