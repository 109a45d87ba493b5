import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class HookrelayApi implements ICredentialType {
	name = 'hookrelayApi';

	displayName = 'Hookrelay API';

	icon: Icon = { light: 'file:../icons/hookrelay.svg', dark: 'file:../icons/hookrelay.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-hookrelay#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8080',
			placeholder: 'https://relay.example.com',
			description: 'Where the relay answers, without /v1',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'A hookrelay key with the scopes the nodes need (endpoints for the trigger; events:read, events:write, ai, workflows for the others), or the admin token',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/v1/keys/self',
			method: 'GET',
		},
	};
}
