/**
 * Runs nodes through n8n-core's own `WorkflowExecute`, with a credentials helper that behaves like
 * n8n 2.40.7's: it applies a credential type's `authenticate` (function or generic, expressions
 * resolved) and runs `preAuthentication` when the expirable field is empty or a request got a 401,
 * persisting the new token.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// InstanceSettings reads this once, when n8n-core first needs it.
process.env.N8N_USER_FOLDER ??= mkdtempSync(path.join(tmpdir(), 'n8n-offboarding-test-'));

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	type ICredentialDataDecryptedObject,
	type ICredentials,
	ICredentialsHelper,
	type ICredentialType,
	type IDataObject,
	type IHttpRequestHelper,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowExecuteAdditionalData,
	type Workflow as WorkflowType,
	Workflow,
} from 'n8n-workflow';

export class TestCredentialsHelper extends ICredentialsHelper {
	/** Every `preAuthentication` that produced a new token, per credential type. */
	readonly refreshes: Record<string, number> = {};

	constructor(
		private readonly types: Record<string, ICredentialType>,
		readonly stored: Record<string, ICredentialDataDecryptedObject>,
	) {
		super();
	}

	private type(name: string): ICredentialType {
		const type = this.types[name];
		if (!type) throw new Error(`unknown credential type ${name}`);
		return type;
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.type(type).properties;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions,
		workflow?: WorkflowType,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.type(typeName);
		if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
		if (authenticate?.type !== 'generic') return requestOptions;
		const resolve = (value: string): string => {
			if (!value.startsWith('=') || !workflow || !node) return value;
			return String(
				workflow.expression.getSimpleParameterValue(
					node,
					value,
					'internal',
					{ $credentials: credentials } as IDataObject,
					undefined,
					'',
				),
			);
		};
		const options = requestOptions as unknown as Record<string, Record<string, unknown>>;
		for (const [where, fields] of Object.entries(authenticate.properties)) {
			options[where] ??= {};
			for (const [key, value] of Object.entries(fields as Record<string, string>))
				options[where][resolve(key)] = resolve(value);
		}
		return requestOptions;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.type(typeName);
		const expirable = type.properties.find(
			(p) => p.type === 'hidden' && p.typeOptions?.expirable === true,
		);
		if (!expirable || typeof type.preAuthentication !== 'function') return undefined;
		if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;
		const output = await type.preAuthentication.call(helpers, credentials);
		if (output[expirable.name] === undefined || !node.credentials) return undefined;
		this.refreshes[typeName] = (this.refreshes[typeName] ?? 0) + 1;
		Object.assign(credentials, output);
		this.stored[typeName] = { ...credentials };
		return credentials;
	}

	async runPreAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by these tests');
	}

	async getDecrypted(
		_a: IWorkflowExecuteAdditionalData,
		_c: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const stored = this.stored[type];
		if (!stored) throw new Error(`no credentials of type ${type}`);
		return { ...stored };
	}

	async updateCredentials(
		_c: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.stored[type] = { ...data };
	}

	async updateCredentialsOauthTokenData(): Promise<void> {}
}

export class TestNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		return this.getByNameAndVersion(nodeType);
	}

	getByNameAndVersion(nodeType: string): INodeType {
		const type = this.types[nodeType];
		if (!type) throw new Error(`unknown node type ${nodeType}`);
		return type;
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

export interface RunNodeOptions {
	nodeType: INodeType;
	credentialTypes: Record<string, ICredentialType>;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	items: INodeExecutionData[];
	parameters?: INode['parameters'];
	/** Node settings, e.g. `{ onError: 'continueErrorOutput' }`. */
	settings?: Partial<Pick<INode, 'onError' | 'continueOnFail'>>;
}

export interface NodeRun {
	run: IRun;
	/** Items of each output of the node. */
	outputs: INodeExecutionData[][];
	credentialsHelper: TestCredentialsHelper;
}

/** Executes one node, fed `items`, through `WorkflowExecute`. */
export async function runNode(options: RunNodeOptions): Promise<NodeRun> {
	const name = options.nodeType.description.name;
	const credentialsHelper = new TestCredentialsHelper(options.credentialTypes, {
		...options.credentials,
	});
	const node: INode = {
		id: 'node-under-test',
		name: 'Node under test',
		type: name,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters ?? {},
		...options.settings,
		credentials: Object.fromEntries(
			Object.keys(options.credentials).map((type) => [type, { id: `cred-${type}`, name: type }]),
		),
	};
	const workflow = new Workflow({
		id: 'test-workflow',
		nodes: [node],
		connections: {},
		nodeTypes: new TestNodeTypes({ [name]: options.nodeType }),
		active: false,
		settings: {},
	});
	const hooks = new ExecutionLifecycleHooks('manual', 'test-execution', {
		id: 'test-workflow',
		name: 'test',
		active: false,
		nodes: [node],
		connections: {},
		settings: {},
		createdAt: new Date(),
		updatedAt: new Date(),
		isArchived: false,
	} as never);
	const additionalData = {
		credentialsHelper,
		hooks,
		executionId: 'test-execution',
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		formBaseUrl: '',
		formWaitingBaseUrl: '',
		formTestBaseUrl: '',
		webhookBaseUrl: '',
		webhookWaitingBaseUrl: '',
		webhookTestBaseUrl: '',
		mcpBaseUrl: '',
		mcpTestBaseUrl: '',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('sub-workflows are not used by these tests');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => undefined,
	} as unknown as IWorkflowExecuteAdditionalData;

	const runExecutionData: IRunExecutionData = {
		version: 1,
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			nodeExecutionStack: [{ node, data: { main: [options.items] }, source: null }],
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	} as unknown as IRunExecutionData;
	const run = await new WorkflowExecute(
		additionalData,
		'manual',
		runExecutionData,
	).processRunExecutionData(workflow);
	const task = run.data.resultData.runData[node.name]?.[0];
	const outputs = (task?.data?.main ?? []).map((items) => items ?? []);
	return { run, outputs, credentialsHelper };
}

/**
 * Starts n8n-core's BinaryDataService in filesystem mode under the test's N8N_USER_FOLDER, as n8n
 * does at boot. The DI container is n8n-core's own copy of @n8n/di (resolved from n8n-core).
 */
export async function initBinaryData() {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- n8n-core's own copy of @n8n/di, resolved from n8n-core's path, is reachable only this way
	const { Container } = require(
		require.resolve('@n8n/di', { paths: [require.resolve('n8n-core')] }),
	) as {
		Container: { get<T>(type: new (...args: never[]) => T): T };
	};
	const { BinaryDataService } = await import('n8n-core');
	const service = Container.get(BinaryDataService);
	await service.init();
	return service;
}
