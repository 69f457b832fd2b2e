// The entity types and form descriptions of the console are generated from the server's
// OpenAPI document; this test regenerates them from the `folio` binary the tree builds and
// fails when the committed copy no longer matches (run `npm run gen:entities` then).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { folioBinary, generate, OUTPUT, readOpenApi } from '../scripts/gen-entities.mjs';
import { ENTITY_DESCRIPTIONS } from '../src/api/entities.generated';

const binary: string = folioBinary();
const haveBinary = existsSync(binary);
if (!haveBinary) console.warn(`entities.test: ${binary} not built; set FOLIO_BIN or build Folio to check against the live OpenAPI document`);

describe('entity descriptions', () => {
  it.runIf(haveBinary || process.env.FOLIO_BIN)('match the OpenAPI document of `folio openapi`', () => {
    const expected = generate(readOpenApi());
    expect(readFileSync(OUTPUT, 'utf8')).toBe(expected);
  });

  it('describe the 13 entity types of the API, each with its collection', () => {
    expect(ENTITY_DESCRIPTIONS.map((d) => d.collection)).toEqual([
      'portfolios', 'programs', 'projects', 'project-phases', 'resources', 'worker-types', 'workers',
      'resource-assignments', 'rates', 'actuals', 'users', 'user-roles', 'scope-assignments',
    ]);
  });

  it('know references, enums, money, write-only passwords and read-only totals', () => {
    const field = (type: string, name: string) =>
      ENTITY_DESCRIPTIONS.find((d) => d.type === type)!.fields.find((f) => f.name === name)!;
    expect(field('project', 'program_id')).toMatchObject({ kind: 'reference', references: 'program', requiredOnCreate: true });
    expect(field('resource', 'resource_type')).toMatchObject({ kind: 'enum', options: ['labor', 'non_labor'] });
    expect(field('project_phase', 'capital_budget').kind).toBe('money');
    expect(field('project_phase', 'total_budget').readOnly).toBe(true);
    expect(field('user', 'password')).toMatchObject({ kind: 'password', writeOnly: true });
    expect(field('resource_assignment', 'capital_percentage')).toMatchObject({ kind: 'integer', minimum: 0, maximum: 100 });
  });
});
