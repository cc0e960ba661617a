package local

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
	"github.com/campaignkit/campaignkit/internal/httpapi"
)

// siteFile is one object as S3 would hold it after deployment.
type siteFile struct {
	body         []byte
	etag         string
	contentType  string
	cacheControl string
}

// SiteHandler serves fsys the way the EdgeCachedSite edge serves its bucket:
// the request path goes through rules.Rewrite (clean URLs, SPA fallback),
// each file carries the Cache-Control of its class and an S3-style ETag
// (conditional GETs answer 304), only GET, HEAD and OPTIONS are allowed
// (CloudFront answers other methods with 403). Security headers are added
// by the stack for every response, as the edge's response headers policy
// does. Files are read once, at start.
func SiteHandler(fsys fs.FS, rules edgerules.Config) (http.Handler, error) {
	files := map[string]*siteFile{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := md5.Sum(body) // S3's ETag for a single-part upload
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(body)
		}
		files["/"+p] = &siteFile{body: body, etag: `"` + hex.EncodeToString(sum[:]) + `"`, contentType: ct, cacheControl: rules.CacheControl(p)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("local: read site: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
		case http.MethodOptions:
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusForbidden, httpapi.TypeMethodNotAllowed,
				fmt.Sprintf("the edge does not allow %s on site paths (only GET, HEAD, OPTIONS); API calls go under %s", r.Method, rules.APIPrefix)))
			return
		}
		key := rules.Rewrite(r.URL.Path)
		f, ok := files[key]
		if !ok {
			httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusNotFound, httpapi.TypeNotFound,
				fmt.Sprintf("no site file %s (request path %s)", strings.TrimPrefix(key, "/"), r.URL.Path)))
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("Cache-Control", f.cacheControl)
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, key, time.Time{}, bytes.NewReader(f.body))
	}), nil
}

// edgeHeaders sets the edge's response headers on every response, overriding
// what the origin sent (the policy's Override: true), at the moment the
// response starts.
func edgeHeaders(next http.Handler, headers map[string]string) http.Handler {
	// Built once: the same value slices are shared by every response
	// (net/http only reads them; an Add by a handler reallocates).
	hs := make(http.Header, len(headers))
	for k, v := range headers {
		hs[http.CanonicalHeaderKey(k)] = []string{v}[:1:1]
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&headerWriter{ResponseWriter: w, headers: hs}, r)
	})
}

type headerWriter struct {
	http.ResponseWriter
	headers http.Header
	done    bool
}

func (h *headerWriter) apply() {
	if h.done {
		return
	}
	h.done = true
	hd := h.ResponseWriter.Header()
	for k, v := range h.headers {
		hd[k] = v
	}
}

func (h *headerWriter) WriteHeader(code int) {
	h.apply()
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerWriter) Write(p []byte) (int, error) {
	h.apply()
	return h.ResponseWriter.Write(p)
}

// Flush implements http.Flusher.
func (h *headerWriter) Flush() {
	h.apply()
	_ = http.NewResponseController(h.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (h *headerWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }
