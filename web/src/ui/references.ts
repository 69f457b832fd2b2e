// Names of referenced entities (a project's program, an assignment's resource...), for
// showing references by name in lists and offering them as choices in forms.
import type { EntityType } from '../api/entities.generated';
import { ApiError } from '../api/errors';
import { displayName } from '../format';
import type { Session } from '../session';

export interface Choice {
  id: string;
  label: string;
}

/** The entities of `type` the user may read, as choices; null when the user may not list them. */
export async function choicesFor(session: Session, type: string): Promise<Choice[] | null> {
  try {
    const items = await session.client.listAll(type as EntityType, {}, 4);
    return items
      .map((e) => ({ id: e.id, label: displayName(e as unknown as Record<string, unknown>) }))
      .sort((a, b) => a.label.localeCompare(b.label));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
    throw e;
  }
}

/** Loads the choices of several types at once; `labelOf(type, id)` then names an id. */
export async function referenceNames(session: Session, types: string[]) {
  const unique = [...new Set(types)];
  const lists = await Promise.all(unique.map((t) => choicesFor(session, t)));
  const byType = new Map(unique.map((t, i) => [t, lists[i]]));
  return {
    choices: (type: string) => byType.get(type) ?? null,
    labelOf: (type: string, id: unknown) => {
      if (typeof id !== 'string' || !id) return '—';
      return byType.get(type)?.find((c) => c.id === id)?.label ?? `${id.slice(0, 8)}…`;
    },
  };
}
