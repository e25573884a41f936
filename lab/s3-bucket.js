// Create a bucket on the lab's S3-compatible server (MinIO) with one signed
// (AWS SigV4) PUT; an existing bucket of ours is fine. No AWS SDK is needed.
//   node lab/s3-bucket.js http://127.0.0.1:9000 <bucket>     (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from env)
"use strict";
const crypto = require("crypto");
const http = require("http");
const { URL } = require("url");

const [endpoint, bucket] = process.argv.slice(2);
const ak = process.env.AWS_ACCESS_KEY_ID;
const sk = process.env.AWS_SECRET_ACCESS_KEY;
const region = process.env.AWS_REGION || "us-east-1";
if (!endpoint || !bucket || !ak || !sk) {
    console.error("usage: AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=.. node s3-bucket.js http://host:port bucket");
    process.exit(2);
}
const url = new URL(`/${bucket}`, endpoint);
const now = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
const day = now.slice(0, 8);
const emptySha = crypto.createHash("sha256").update("").digest("hex");
const signed = "host;x-amz-content-sha256;x-amz-date";
const canonical = ["PUT", url.pathname, "", `host:${url.host}`, `x-amz-content-sha256:${emptySha}`, `x-amz-date:${now}`, "", signed, emptySha].join("\n");
const scope = `${day}/${region}/s3/aws4_request`;
const toSign = ["AWS4-HMAC-SHA256", now, scope, crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
const hmac = (k, d) => crypto.createHmac("sha256", k).update(d).digest();
const key = hmac(hmac(hmac(hmac(`AWS4${sk}`, day), region), "s3"), "aws4_request");
const sig = crypto.createHmac("sha256", key).update(toSign).digest("hex");
const req = http.request(url, {
    method: "PUT",
    headers: {
        "x-amz-date": now, "x-amz-content-sha256": emptySha,
        authorization: `AWS4-HMAC-SHA256 Credential=${ak}/${scope}, SignedHeaders=${signed}, Signature=${sig}`,
    },
}, (res) => {
    let body = "";
    res.on("data", (d) => { body += d; });
    res.on("end", () => {
        if (res.statusCode === 200 || /BucketAlreadyOwnedByYou/.test(body)) process.exit(0);
        console.error(`PUT ${url}: HTTP ${res.statusCode} ${body}`);
        process.exit(1);
    });
});
req.on("error", (e) => { console.error(`PUT ${url}: ${e.message}`); process.exit(1); });
req.end();
