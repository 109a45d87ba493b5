import type { INodeProperties } from 'n8n-workflow';

/** A property shown for some operations of one resource. */
export function field(
	resource: string,
	operations: string[],
	property: Omit<INodeProperties, 'displayOptions'>,
): INodeProperties {
	return { ...property, displayOptions: { show: { resource: [resource], operation: operations } } };
}
