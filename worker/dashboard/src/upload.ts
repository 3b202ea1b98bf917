// Upload: drag a file onto the page or pick one; it streams to PUT /api/v1/files/:name with progress.
import { authHeaders, errorOf, writeRefusal } from './api.ts';
import { byId } from './dom.ts';
import { refreshTasks } from './loads.ts';

export function setUpUpload() {
  const drop = byId('drop');
  const input = byId<HTMLInputElement>('file-input');
  input.addEventListener('change', () => {
    if (input.files?.[0]) upload(input.files[0]);
    input.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    document.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add('dragging');
    });
  }
  document.addEventListener('dragleave', (e) => {
    if (!(e as DragEvent).relatedTarget) drop.classList.remove('dragging');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    const file = (e as DragEvent).dataTransfer?.files[0];
    if (file) upload(file);
  });
}

export function upload(file: File) {
  const message = byId('upload-message');
  if (!/\.csv(\.gz)?$/i.test(file.name)) {
    message.textContent = `"${file.name}" is not a .csv or .csv.gz file.`;
    message.className = 'error';
    return;
  }
  const status = byId('upload-status');
  const bar = byId<HTMLProgressElement>('upload-progress');
  const percent = byId('upload-percent');
  byId('upload-label').textContent = `Uploading ${file.name}`;
  status.hidden = false;
  bar.value = 0;
  percent.textContent = '0%';
  message.textContent = '';
  message.className = '';

  const xhr = new XMLHttpRequest();
  xhr.open('PUT', `/api/v1/files/${encodeURIComponent(file.name)}`);
  for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
  xhr.setRequestHeader('content-type', file.name.toLowerCase().endsWith('.gz') ? 'application/gzip' : 'text/csv');
  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    const p = Math.floor((e.loaded / e.total) * 100);
    bar.value = p;
    percent.textContent = `${p}%`;
  };
  xhr.onload = () => {
    if (xhr.status === 202) {
      const body = JSON.parse(xhr.responseText) as { created: boolean; task: { id: number } };
      bar.value = 100;
      percent.textContent = '100%';
      message.textContent = body.created
        ? `${file.name} is stored; task ${body.task.id} loads it.`
        : `${file.name} is already known: task ${body.task.id} has this version.`;
      message.className = 'ok';
    } else {
      status.hidden = true;
      message.textContent = writeRefusal(errorOf(xhr.status, xhr.responseText), `Uploading ${file.name}`);
      message.className = 'error';
    }
    void refreshTasks();
  };
  xhr.onerror = () => {
    status.hidden = true;
    message.textContent = `Uploading ${file.name} failed: the connection was lost.`;
    message.className = 'error';
  };
  xhr.send(file);
}
