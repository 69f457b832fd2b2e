// How the console describes an entity type and its fields. The descriptions themselves are
// generated from the server's OpenAPI document (entities.generated.ts), so that one generic
// list and one generic form serve all 13 entity types.

/** How a field is shown and edited. */
export type FieldKind =
  | 'text'
  | 'longtext'
  | 'email'
  | 'password'
  | 'date'
  | 'datetime'
  | 'integer'
  | 'money'
  | 'boolean'
  | 'enum'
  | 'reference'
  | 'id';

export interface FieldDescription {
  name: string;
  label: string;
  kind: FieldKind;
  /** Must be given when creating. */
  requiredOnCreate: boolean;
  /** null is a valid value (an optional field). */
  nullable: boolean;
  /** Set by the server (e.g. a derived total); never sent. */
  readOnly?: boolean;
  /** Sent but never returned (passwords). */
  writeOnly?: boolean;
  /** Given on create, not changeable by an update. */
  fixed?: boolean;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  options?: string[];
  /** For references: the entity type the id points at. */
  references?: string;
}

export interface EntityDescription {
  /** snake_case entity type, e.g. "project_phase". */
  type: string;
  /** PascalCase schema name, e.g. "ProjectPhase". */
  name: string;
  /** Human label, e.g. "Project Phase". */
  label: string;
  /** Collection in the address, e.g. "project-phases". */
  collection: string;
  /** Foreign-key fields the list endpoint filters by. */
  listFilters: string[];
  fields: FieldDescription[];
}
