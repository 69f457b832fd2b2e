// The sign-in form (POST /api/v1/auth/token).
import { UnauthenticatedError, ValidationError } from '../api/errors';
import type { Session } from '../session';
import { h, message, replace } from './dom';

export function renderLogin(root: HTMLElement, session: Session, done: () => void): void {
  const status = h('div', { className: 'login-status' });
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      className: 'login-form',
      'aria-labelledby': 'login-title',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        button.disabled = true;
        replace(status);
        try {
          await session.signIn(username.value, password.value);
          done();
        } catch (e) {
          const text =
            e instanceof UnauthenticatedError || e instanceof ValidationError
              ? 'Unknown user name or wrong password.'
              : `Signing in failed: ${(e as Error).message}`;
          replace(status, message('alert', text));
          button.disabled = false;
          password.focus();
        }
      },
    },
    h('h1', { id: 'login-title' }, 'Sign in to Folio'),
    h('label', { for: 'login-username' }, 'User name'),
    username,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    button,
    status,
  );
  replace(root, h('main', { id: 'main', className: 'login-page' }, form));
  username.focus();
}
