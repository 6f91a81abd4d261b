import type { DashboardData, HostToWebview, WorkspaceSummary } from '../../server/src/contract';
import { connect, post } from './host';
import { badge, button, divider, registerToolkit, tag } from './toolkit';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tagName: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tagName);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function render(summary: WorkspaceSummary | undefined, error?: string): void {
  const page = el('div');
  page.dataset.testid = 'dashboard';
  const header = el('header');
  header.append(el('h1', 'MLOps Workbench'), button('Refresh', () => post({ type: 'refresh' }), { secondary: true, testId: 'refresh' }));
  page.append(header);

  if (error) page.append(el('p', error, 'error'));
  if (!summary) {
    page.append(el('p', 'Waiting for the MLOps server…', 'muted'));
    root.replaceChildren(page);
    return;
  }
  page.append(serverSection(summary), divider(), manifestSection(summary), divider(), trackingSection(summary));
  if (summary.unreadable.length > 0) page.append(divider(), unreadableSection(summary));
  root.replaceChildren(page);
  root.setAttribute('aria-busy', 'false');
}

function serverSection({ server }: WorkspaceSummary): HTMLElement {
  const section = el('section');
  const title = el('h2', 'Server ');
  title.append(badge(server.state));
  section.append(title, el('p', server.runtimeSummary, 'muted'), el('p', server.nodePath, 'muted'));
  const list = el('ul');
  for (const n of server.natives) list.append(el('li', `${n.ok ? '✓' : '✗'} ${n.name} ${n.ok ? n.version ?? '' : n.error ?? ''}`, n.ok ? '' : 'error'));
  // A driver passed over for another is worth a line: it says why better-sqlite3 is not the one in use.
  if (server.sqlite.driver) for (const t of server.sqlite.tried.filter((d) => !d.ok)) list.append(el('li', `– ${t.driver} not used: ${t.error ?? ''}`, 'muted'));
  section.append(list);
  if (server.remedy) section.append(el('p', server.remedy, 'error'));
  if (server.state !== 'running') section.append(button('Show server log', () => post({ type: 'runCommand', payload: { command: 'mlops.showOutput' } })));
  return section;
}

function manifestSection({ manifests }: WorkspaceSummary): HTMLElement {
  const section = el('section');
  const title = el('h2', 'Manifests ');
  const count = badge(String(manifests.length));
  count.dataset.testid = 'manifest-count';
  title.append(count);
  section.append(title);
  if (manifests.length === 0) {
    section.append(el('p', 'No mlops.yaml in this workspace. Create one to declare models, serving and monitoring — examples/churn/mlops.yaml shows the shape.', 'muted'));
    return section;
  }
  const list = el('ul');
  for (const m of manifests) {
    const item = el('li');
    const open = el('a', m.file);
    open.href = '#';
    open.addEventListener('click', (e) => {
      e.preventDefault();
      post({ type: 'openFile', payload: { file: m.file } });
    });
    item.append(open, ' ', m.errors + m.warnings === 0 ? tag('ok') : tag(`${plural(m.errors, 'error')}, ${plural(m.warnings, 'warning')}`, m.errors > 0 ? 'bad' : undefined));
    list.append(item);
  }
  section.append(list);
  return section;
}

function trackingSection({ trackingSources }: WorkspaceSummary): HTMLElement {
  const section = el('section');
  section.append(el('h2', 'Run logs'));
  if (trackingSources.length === 0) {
    section.append(el('p', 'No run logs found. Log runs with MLflow (mlruns/ or mlflow.db) or write JSONL run logs under runs/.', 'muted'));
    return section;
  }
  const list = el('ul');
  for (const s of trackingSources) list.append(el('li', `${s.kind}: ${s.path}`));
  section.append(list);
  return section;
}

function unreadableSection({ unreadable }: WorkspaceSummary): HTMLElement {
  const section = el('section');
  section.append(el('h2', 'Not readable'));
  const list = el('ul');
  for (const u of unreadable) list.append(el('li', `${u.path}: ${u.reason}`, 'error'));
  section.append(list);
  return section;
}

render(undefined);
connect<DashboardData>((message: HostToWebview<DashboardData>) => {
  if (message.type === 'setData') render(message.payload.summary);
  else render(undefined, message.payload.message);
});

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
