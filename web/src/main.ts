// The console's entry point: sign-in, the navigation and a hash router
//   #/                          start page
//   #/e/<collection>            list of an entity type
//   #/e/<collection>/new        create form
//   #/e/<collection>/<id>       edit form
//   #/calendar/<project-id>     resource assignment calendar (?from=YYYY-MM-DD)
//   #/system                    live charts of the server's metrics (admins)
// Hash routes need no server-side fallback: `folio serve` only serves real files.
import './style.css';

import {ENTITY_DESCRIPTIONS} from './api/entities.generated';
import {ApiError, NetworkError} from './api/errors';
import {Session} from './session';
import {renderCalendar, renderCalendarPicker} from './ui/calendar';
import {h, message, replace} from './ui/dom';
import {renderForm} from './ui/entity-form';
import {renderList} from './ui/list-view';
import {renderLogin} from './ui/login';
import {renderSystem} from './ui/system';

const root = document.getElementById('app')!;
const session = new Session(() => route());

function shell(): HTMLElement {
  const current = location.hash;
  const link = (href: string, text: string) =>
    h('li', {}, h('a', { href, 'aria-current': current.startsWith(href) ? 'page' : undefined }, text));
  // On a narrow window the lists fold away behind a "Menu" button (CSS shows it there only).
  const lists = h(
      'div',
      {id: 'nav-lists', className: 'nav-lists'},
      h('h2', {className: 'nav-heading'}, 'Planning'),
      h('ul', {}, link('#/calendar', 'Assignment calendar')),
      h('h2', {className: 'nav-heading'}, 'Data'),
      h('ul', {}, ENTITY_DESCRIPTIONS.map((d) => link(`#/e/${d.collection}`, `${d.label}s`))),
      session.isAdmin && h('h2', {className: 'nav-heading'}, 'Operations'),
      session.isAdmin && h('ul', {}, link('#/system', 'System')),
  );
  const toggle = h('button', { type: 'button', className: 'nav-toggle secondary', 'aria-expanded': 'false', 'aria-controls': 'nav-lists' }, 'Menu');
  const nav = h('nav', { 'aria-label': 'Main', className: 'side-nav' }, toggle, lists);
  toggle.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  const header = h(
    'header',
    { className: 'top-bar' },
    h('a', { href: '#/', className: 'brand' }, 'Folio'),
    h(
      'div',
      { className: 'user-box' },
      h('span', { className: 'signed-in-as' }, `Signed in as ${session.me?.username ?? ''}`),
      h('button', {
        type: 'button',
        className: 'secondary',
        onclick: () => {
          session.signOut();
          location.hash = '#/';
          route();
        },
      }, 'Sign out'),
    ),
  );
  const main = h('main', { id: 'main', tabindex: '-1' });
  replace(root, header, h('div', { className: 'layout' }, nav, main));
  return main;
}

function home(main: HTMLElement) {
  replace(
    main,
    h('h1', {}, 'Welcome to Folio'),
    h('p', {}, 'Choose what to plan or edit on the left. Every change you save is recorded with a version number; ',
      'if someone else saved the same item after you opened it, Folio shows you both versions and saves nothing until you decide.'),
    h('p', {}, h('a', { href: '#/calendar' }, 'Open the resource assignment calendar'), ' or ',
      h('a', { href: '#/e/projects' }, 'browse projects'), '.'),
  );
}

let routeCounter = 0;

export async function route(): Promise<void> {
  const mine = ++routeCounter;
  if (!session.signedIn) {
    renderLogin(root, session, () => route());
    return;
  }
  try {
    if (!session.me) await session.load();
  } catch (e) {
    if (mine !== routeCounter) return;
    if (e instanceof ApiError && e.status === 401) return; // onUnauthenticated re-routes to the login
    replace(root, message('alert', `Folio could not be reached: ${(e as Error).message}`));
    return;
  }
  if (mine !== routeCounter) return;
  const main = shell();
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query ?? '');
  try {
    if (parts[0] === 'e' && parts[1]) {
      const d = ENTITY_DESCRIPTIONS.find((x) => x.collection === parts[1]);
      if (!d) throw new Error(`There is no list called '${parts[1]}'.`);
      if (parts[2]) await renderForm(main, session, d, parts[2] === 'new' ? null : parts[2], params);
      else await renderList(main, session, d, params);
    } else if (parts[0] === 'system') {
      await renderSystem(main, session);
    } else if (parts[0] === 'calendar') {
      if (parts[1]) await renderCalendar(main, session, parts[1], params);
      else await renderCalendarPicker(main, session);
    } else {
      home(main);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    const text = e instanceof ApiError || e instanceof NetworkError ? e.message : `Something went wrong: ${(e as Error).message}`;
    main.append(message('alert', text));
  }
}

window.addEventListener('hashchange', () => {
  void route().then(() => document.getElementById('main')?.focus({ preventScroll: true }));
});
void route();
