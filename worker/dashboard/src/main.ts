// The dashboard's entry: hash routes (#/loads, #/rejects/:id, #/reports/:year) and the API-key form.
import { apiKey, whenKeyNeeded } from './api.ts';
import { byId, notice } from './dom.ts';
import { hideLoads, showLoads } from './loads.ts';
import { setUpRejects, showRejects } from './rejects.ts';
import { setUpReports, showReports } from './reports.ts';
import { resizeCharts } from './charts.ts';
import { setUpUpload } from './upload.ts';

const VIEWS = ['loads', 'rejects', 'reports'] as const;

function route() {
  const [, view = 'loads', arg] = location.hash.split('/');
  const name = (VIEWS as readonly string[]).includes(view) ? view : 'loads';
  for (const v of VIEWS) byId(`view-${v}`).hidden = v !== name;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
    if (link.dataset.view === name || (name === 'rejects' && link.dataset.view === 'loads')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  notice('');
  if (name === 'loads') showLoads();
  else hideLoads();
  if (name === 'rejects') void showRejects(Number(arg));
  if (name === 'reports') void showReports(/^\d{1,4}$/.test(arg ?? '') ? Number(arg) : 2021);
}

function setUpKeyForm() {
  const form = byId<HTMLFormElement>('key-form');
  const input = byId<HTMLInputElement>('api-key');
  whenKeyNeeded((why) => {
    byId('key-why').textContent = why;
    byId('key-close').hidden = !apiKey.get();
    if (!form.hidden) return;
    form.hidden = false;
    input.focus();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apiKey.set(input.value.trim());
    input.value = '';
    form.hidden = true;
    route();
  });
  byId('key-close').addEventListener('click', () => {
    form.hidden = true;
  });
  byId('key-forget').addEventListener('click', () => {
    apiKey.clear();
    input.value = '';
    route();
  });
}

setUpKeyForm();
setUpUpload();
setUpRejects();
setUpReports();
window.addEventListener('hashchange', route);
let resizing: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(resizeCharts, 150);
});
route();
