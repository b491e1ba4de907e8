/**
 * Offboard Users' column settings — which column (CSV) or field (item) holds each person's email,
 * each system's user id and each scope read from a row — named in one place, for the node's
 * description and for the messages of a run that cannot find them.
 */
import { SYSTEMS } from '../systems';
import type { SystemId } from '../systems/types';

export const EMAIL_COLUMN = { name: 'emailColumn', displayName: 'Email Column', default: 'email' };

/** `flashbackUserIdColumn`. */
export function userIdColumnParameter(system: SystemId): string {
	return `${system}UserIdColumn`;
}

/** "Flashback User ID Column". */
export function userIdColumnDisplayName(system: SystemId): string {
	return `${SYSTEMS[system].displayName} User ID Column`;
}

/** "Flashback Workspace ID": a scope field as its settings are named. */
export function scopeDisplayName(system: SystemId, key: string): string {
	const definition = SYSTEMS[system];
	const field = definition.scopeFields.find((f) => f.key === key);
	const label = field?.label ?? key;
	return `${definition.displayName} ${label[0].toUpperCase()}${label.slice(1)}`.replace(
		/\bid\b/g,
		'ID',
	);
}

/** A scope's default column: `flashbackWorkspaceId`. */
export function scopeColumnDefault(system: SystemId, key: string): string {
	return `${system}${key[0].toUpperCase()}${key.slice(1)}`;
}

/**
 * The setting that names a scope's column: "Flashback Workspace ID Field"; a scope the system's
 * settings define (a Custom HTTP path's `{teamId}`) has no setting: its column is its name.
 */
export function scopeColumnDisplayName(system: SystemId, key: string): string {
	return SYSTEMS[system].scopeFields.some((f) => f.key === key)
		? `${scopeDisplayName(system, key)} Field`
		: `the {${key}} placeholder of ${SYSTEMS[system].displayName}'s path`;
}

/** How an expression-given value is named in a reason: 'value of the "Email Column" expression'. */
export function expressionLabel(setting: string): string {
	return `value of the "${setting}" expression`;
}
