// edgesite viewer-request function (CloudFront Functions, cloudfront-js-2.0).
//
// It maps clean URLs to the objects in the site bucket, for site paths only:
//   /          -> /index.html
//   /about     -> /about/index.html   (SPA mode: /index.html)
//   /about/    -> /about/index.html   (SPA mode: /index.html)
//   /app.css, /assets/*, /api/*       -> untouched
// The Go mirror is edgerules.Config.Rewrite; the tests run the same cases
// against both. CONFIG is replaced at synth by edgerules.Config.FunctionSource.
var CONFIG = {"apiPrefix":"/api/","assetsPrefix":"/assets/","spa":false};

function rewrite(uri, cfg) {
    if (uri === '' || uri === '/') {
        return '/index.html';
    }
    if (uri.indexOf(cfg.apiPrefix) === 0 || uri.indexOf(cfg.assetsPrefix) === 0) {
        return uri;
    }
    var last = uri.substring(uri.lastIndexOf('/') + 1);
    if (last.indexOf('.') !== -1) {
        return uri;
    }
    if (cfg.spa) {
        return '/index.html';
    }
    if (last === '') {
        return uri + 'index.html';
    }
    return uri + '/index.html';
}

function handler(event) {
    var request = event.request;
    request.uri = rewrite(request.uri, CONFIG);
    return request;
}
