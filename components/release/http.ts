// One HTTP(S) GET for the release providers (serialized into state with them:
// Node built-ins only). Follows redirects, as GitHub's asset downloads need.

export interface HttpResponse {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
}

export async function httpGet(url: string, headers: Record<string, string> = {}, redirects = 5): Promise<HttpResponse> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = (url.startsWith("https:") ? require("https") : require("http")) as typeof import("https");
    return new Promise((resolve, reject) => {
        const req = lib.get(url, { timeout: 30_000, headers: { "user-agent": "containai-infra", ...headers } }, (res) => {
            const status = res.statusCode ?? 0;
            if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
                res.resume();
                resolve(httpGet(new URL(res.headers.location, url).toString(), headers, redirects - 1));
                return;
            }
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d) => { body += d; });
            res.on("end", () => resolve({ status, headers: res.headers, body }));
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${url}: timed out`)));
        req.on("error", reject);
    });
}
