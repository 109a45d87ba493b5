import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { createBatch, operations } from './operations';
import { aiProperties } from './resources/ai';
import { batchProperties } from './resources/batch';
import { deliveryProperties } from './resources/delivery';
import { eventProperties } from './resources/event';
import { workflowProperties } from './resources/workflow';

export class Hookrelay implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Hookrelay',
		name: 'hookrelay',
		icon: { light: 'file:../../icons/hookrelay.svg', dark: 'file:../../icons/hookrelay.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Send and read hookrelay events, run AI responses and batches, replay deliveries, run workflows',
		defaults: { name: 'Hookrelay' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'hookrelayApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'AI Response', value: 'aiResponse' },
					{ name: 'Batch', value: 'batch' },
					{ name: 'Delivery', value: 'delivery' },
					{ name: 'Event', value: 'event' },
					{ name: 'Workflow', value: 'workflow' },
				],
				default: 'event',
			},
			...eventProperties,
			...aiProperties,
			...batchProperties,
			...deliveryProperties,
			...workflowProperties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		if (resource === 'batch' && operation === 'create') {
			// One batch for all items, not one per item.
			return [
				[
					{
						json: await createBatch(this, items.length),
						pairedItem: items.map((_, item) => ({ item })),
					},
				],
			];
		}
		const run = operations[resource]?.[operation];
		if (!run)
			throw new NodeOperationError(this.getNode(), `Unknown operation ${resource}.${operation}`);
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			try {
				const result = await run(this, i);
				for (const json of Array.isArray(result) ? result : [result])
					out.push({ json, pairedItem: { item: i } });
			} catch (error) {
				if (!this.continueOnFail()) {
					throw error instanceof NodeOperationError || error instanceof NodeApiError
						? error
						: new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
				}
				out.push({
					json: { error: (error as Error).message } as IDataObject,
					pairedItem: { item: i },
				});
			}
		}
		return [out];
	}
}
