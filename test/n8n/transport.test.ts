/**
 * The n8n adapter against the real n8n-core 2.40.3 `httpRequestWithAuthentication`, run inside a
 * node executed by `WorkflowExecute`: statuses, headers and bodies come through unchanged, a
 * timeout is a transport error, a 3xx is not followed, a 401 can make n8n refresh a JWT once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IExecuteFunctions,
	IHttpRequestHelper,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { createN8nTransport } from '../../src/n8n/transport';
import { type HttpRequest, TransportError } from '../../src/transport/types';
import { runNode } from '../support/n8n';

class ProbeBearerApi implements ICredentialType {
	name = 'probeBearerApi';
	displayName = 'Probe Bearer';
	properties: ICredentialType['properties'] = [
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
	];
	authenticate: ICredentialType['authenticate'] = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.token}}' } },
	};
}

let logins = 0;
class ProbeJwtApi implements ICredentialType {
	name = 'probeJwtApi';
	displayName = 'Probe JWT';
	properties: ICredentialType['properties'] = [
		{
			displayName: 'Session',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true },
			default: '',
		},
	];
	async preAuthentication(this: IHttpRequestHelper): Promise<ICredentialDataDecryptedObject> {
		logins++;
		return { sessionToken: 'fresh' };
	}
	authenticate: ICredentialType['authenticate'] = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.sessionToken}}' } },
	};
}

/** Like ProbeJwtApi, but its login is a real request, which the probe server refuses. */
class ProbeRefusedLoginApi extends ProbeJwtApi {
	override name = 'probeRefusedLoginApi';
	override displayName = 'Probe refused login';
	override async preAuthentication(
		this: IHttpRequestHelper,
	): Promise<ICredentialDataDecryptedObject> {
		logins++;
		await this.helpers.httpRequest({ method: 'POST', url: `${base}/login`, json: true });
		return { sessionToken: 'never' };
	}
}

/** Sends each item's `request` through the adapter and returns what came back, or the transport error. */
class AdapterProbe implements INodeType {
	description: INodeType['description'] = {
		displayName: 'Adapter probe',
		name: 'adapterProbe',
		group: ['transform'],
		version: 1,
		description: 'test only',
		defaults: { name: 'Adapter probe' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'probeBearerApi', required: false },
			{ name: 'probeJwtApi', required: false },
			{ name: 'probeRefusedLoginApi', required: false },
		],
		properties: [
			{
				displayName: 'Credential type',
				name: 'credentialType',
				type: 'string',
				default: 'probeBearerApi',
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credentialType = this.getNodeParameter('credentialType', 0) as string;
		const transport = createN8nTransport(this, credentialType);
		const out: INodeExecutionData[] = [];
		for (const [index, item] of this.getInputData().entries()) {
			try {
				const response = await transport.send(item.json.request as unknown as HttpRequest);
				out.push({ json: { response: { ...response } }, pairedItem: { item: index } });
			} catch (error) {
				const e = error as TransportError;
				out.push({
					json: {
						transportError: {
							isTransportError: e instanceof TransportError,
							kind: e.kind,
							message: e.message,
						},
					},
					pairedItem: { item: index },
				});
			}
		}
		return [out];
	}
}

interface Seen {
	method: string;
	url: string;
	authorization?: string;
	body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk: Buffer) => (body += chunk.toString()));
		req.on('end', () => {
			seen.push({
				method: req.method ?? '',
				url: req.url ?? '',
				authorization: req.headers.authorization,
				body,
			});
			const url = req.url ?? '';
			const status = /^\/status\/(\d{3})$/.exec(url);
			if (status) {
				const code = Number(status[1]);
				const headers: Record<string, string | string[]> = {
					'content-type': 'application/json',
					'x-custom': 'kept',
					'retry-after': '7',
				};
				if (code >= 300 && code < 400) headers.location = '/landing';
				res.writeHead(code, headers);
				return res.end(JSON.stringify({ code, note: 'exact' }));
			}
			if (url === '/html') {
				res.writeHead(200, { 'content-type': 'text/html' });
				return res.end('<p>not json</p>');
			}
			if (url === '/truncated') {
				res.writeHead(200, { 'content-type': 'application/json' });
				return res.end('{"success":tr');
			}
			if (url === '/echo') {
				res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
				return res.end(
					JSON.stringify({ method: req.method, authorization: req.headers.authorization, body }),
				);
			}
			if (url === '/refresh') {
				const fresh = req.headers.authorization === 'Bearer fresh';
				res.writeHead(fresh ? 200 : 401, { 'content-type': 'application/json' });
				return res.end(JSON.stringify(fresh ? { success: true } : { message: 'token expired' }));
			}
			if (url === '/login') {
				res.writeHead(401, { 'content-type': 'application/json' });
				return res.end(JSON.stringify({ message: 'Invalid email or password' }));
			}
			if (url === '/reset') return req.socket.destroy();
			if (url === '/hang') return; // never answers
			res.writeHead(200);
			res.end('landed');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
	seen.length = 0;
	logins = 0;
});

function request(pathname: string, extra: Partial<HttpRequest> = {}): HttpRequest {
	return { method: 'DELETE', url: `${base}${pathname}`, headers: {}, timeoutMs: 2000, ...extra };
}

async function probe(requests: HttpRequest[], options: { credentialType?: string } = {}) {
	const credentialType = options.credentialType ?? 'probeBearerApi';
	const credentials: Record<string, ICredentialDataDecryptedObject> =
		credentialType === 'probeBearerApi'
			? { probeBearerApi: { token: 'tok_secret' } }
			: { [credentialType]: { sessionToken: 'stale' } };
	const { outputs, run, credentialsHelper } = await runNode({
		nodeType: new AdapterProbe(),
		credentialTypes: {
			probeBearerApi: new ProbeBearerApi(),
			probeJwtApi: new ProbeJwtApi(),
			probeRefusedLoginApi: new ProbeRefusedLoginApi(),
		},
		credentials,
		items: requests.map((r) => ({ json: { request: r as unknown as INodeExecutionData['json'] } })),
		parameters: { credentialType },
	});
	expect(run.data.resultData.error).toBeUndefined();
	return { items: outputs[0].map((item) => item.json), credentialsHelper };
}

describe('createN8nTransport over n8n-core httpRequestWithAuthentication', () => {
	it.each([200, 400, 401, 403, 404, 422, 429, 500, 502, 503])(
		'returns a %i with its headers and body unchanged',
		async (code) => {
			const { items } = await probe([request(`/status/${code}`)]);
			expect(items).toHaveLength(1);
			const { response } = items[0] as {
				response: { status: number; headers: Record<string, string>; body: string };
			};
			expect(response.status).toBe(code);
			expect(response.body).toBe(JSON.stringify({ code, note: 'exact' }));
			expect(response.headers['x-custom']).toBe('kept');
			expect(response.headers['retry-after']).toBe('7');
			expect(response.headers['content-type']).toBe('application/json');
		},
	);

	it('applies the credential and sends the JSON body', async () => {
		const { items } = await probe([request('/echo', { method: 'POST', body: { user_id: 'u-1' } })]);
		const { response } = items[0] as {
			response: { status: number; headers: Record<string, string>; body: string };
		};
		expect(response.status).toBe(200);
		expect(JSON.parse(response.body)).toEqual({
			method: 'POST',
			authorization: 'Bearer tok_secret',
			body: '{"user_id":"u-1"}',
		});
		expect(response.headers['set-cookie']).toBe('a=1, b=2');
	});

	it('keeps a body that is not JSON as raw text, for the classifier to judge', async () => {
		const { items } = await probe([request('/html'), request('/truncated')]);
		expect(items.map((i) => (i.response as { body: string }).body)).toEqual([
			'<p>not json</p>',
			'{"success":tr',
		]);
	});

	it.each([301, 302, 307, 308])('does not follow a %i', async (code) => {
		const { items } = await probe([request(`/status/${code}`)]);
		const { response } = items[0] as {
			response: { status: number; headers: Record<string, string> };
		};
		expect(response.status).toBe(code);
		expect(response.headers.location).toBe('/landing');
		expect(seen.map((s) => s.url)).toEqual([`/status/${code}`]);
	});

	it('turns a request that outlives its timeout into a timeout transport error', async () => {
		const started = Date.now();
		const { items } = await probe([request('/hang', { timeoutMs: 300 })]);
		expect(items).toEqual([
			{
				transportError: {
					isTransportError: true,
					kind: 'timeout',
					message: 'timeout of 300ms exceeded',
				},
			},
		]);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it('turns a reset connection into a connection transport error', async () => {
		const { items } = await probe([request('/reset')]);
		expect(items).toEqual([
			{ transportError: { isTransportError: true, kind: 'connection', message: 'socket hang up' } },
		]);
	});

	it('lets n8n refresh an expirable credential on a 401 exactly once, then returns the answer', async () => {
		const { items, credentialsHelper } = await probe(
			[request('/refresh', { allowCredentialRefresh: true })],
			{ credentialType: 'probeJwtApi' },
		);
		expect((items[0].response as { status: number }).status).toBe(200);
		expect(seen.map((s) => s.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
		expect(logins).toBe(1);
		expect(credentialsHelper.stored.probeJwtApi).toEqual({ sessionToken: 'fresh' });
	});

	it('returns a 401 that survives the refresh as an answer, not a throw', async () => {
		const { items } = await probe([request('/status/401', { allowCredentialRefresh: true })], {
			credentialType: 'probeJwtApi',
		});
		expect(items[0]).toEqual({
			response: {
				status: 401,
				headers: expect.objectContaining({ 'x-custom': 'kept' }),
				body: JSON.stringify({ code: 401, note: 'exact' }),
			},
		});
		expect(logins).toBe(1);
		expect(seen).toHaveLength(2);
	});

	it("marks the login's own refusal as coming from the login, not from the system", async () => {
		const { items } = await probe([request('/refresh', { allowCredentialRefresh: true })], {
			credentialType: 'probeRefusedLoginApi',
		});
		expect(items[0]).toEqual({
			response: {
				status: 401,
				headers: expect.objectContaining({ 'content-type': 'application/json' }),
				body: JSON.stringify({ message: 'Invalid email or password' }),
				fromLogin: true,
			},
		});
		expect(seen.map((s) => `${s.method} ${s.url} ${s.authorization}`)).toEqual([
			'DELETE /refresh Bearer stale',
			'POST /login undefined',
		]);
	});

	it('without allowCredentialRefresh a 401 is just an answer: no refresh, one request', async () => {
		const { items } = await probe([request('/refresh')], { credentialType: 'probeJwtApi' });
		expect((items[0].response as { status: number }).status).toBe(401);
		expect(logins).toBe(0);
		expect(seen).toHaveLength(1);
	});
});
