// Runs a CloudFront Function source against viewer-request events under
// Node, the way CloudFront invokes it: a script (not a module) whose
// top-level handler(event) returns the request. Input on stdin:
// {"source": "...", "uris": ["/about", ...]}; output: the rewritten URIs.
'use strict';
const vm = require('vm');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const { source, uris } = JSON.parse(input);
  const handler = vm.runInNewContext(source + '\n;handler', {});
  const out = uris.map((uri) => {
    const event = {
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '198.51.100.7' },
      request: { method: 'GET', uri, querystring: { v: { value: '1' } }, headers: { host: { value: 'example.org' } }, cookies: {} },
    };
    const res = handler(event);
    if (res.querystring.v.value !== '1' || res.headers.host.value !== 'example.org' || res.method !== 'GET') {
      throw new Error('handler changed more than the uri for ' + uri);
    }
    return res.uri;
  });
  process.stdout.write(JSON.stringify(out));
});
