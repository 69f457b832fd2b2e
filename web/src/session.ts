// The signed-in session: the API client with its token (kept for this browser tab only),
// the user, and names of other users for the conflict dialog.
import { FolioClient, type Me } from './api/client';
import { ForbiddenError, NotFoundError } from './api/errors';

const TOKEN_KEY = 'folio.token';

export class Session {
  readonly client: FolioClient;
  me: Me | null = null;
  private readonly names = new Map<string, string>();

  constructor(onSignedOut: () => void) {
    this.client = new FolioClient({
      token: sessionStorage.getItem(TOKEN_KEY),
      onUnauthenticated: () => {
        this.signOut();
        onSignedOut();
      },
    });
  }

  get signedIn(): boolean {
    return this.client.token !== null;
  }

  get isAdmin(): boolean {
    return !!this.me?.roles.some((r) => r.role_type === 'admin');
  }

  async signIn(username: string, password: string): Promise<void> {
    const token = await this.client.login(username, password);
    sessionStorage.setItem(TOKEN_KEY, token.access_token);
    this.me = await this.client.me();
  }

  async load(): Promise<void> {
    this.me = await this.client.me();
  }

  signOut(): void {
    this.client.token = null;
    this.me = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }

  /** "you", the user's name (admins may read users), or a short id. */
  async userName(userId: string): Promise<string> {
    if (this.me && userId === this.me.id) return `you (${this.me.username})`;
    const known = this.names.get(userId);
    if (known) return known;
    let name = `user ${userId.slice(0, 8)}…`;
    if (this.isAdmin) {
      try {
        name = (await this.client.get('user', userId)).username;
      } catch (e) {
        if (!(e instanceof ForbiddenError || e instanceof NotFoundError)) throw e;
      }
    }
    this.names.set(userId, name);
    return name;
  }
}
