package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoTarget is returned by ResolveTarget when no source names a URL.
var ErrNoTarget = errors.New("no target URL")

// TargetSource says where the base URL of the attack comes from; exactly
// one of URL, OutputsFile and Local is set.
type TargetSource struct {
	// URL is used as given (scheme://host[:port][/prefix]).
	URL string
	// OutputsFile is a `cdk deploy --outputs-file` JSON file; Output picks
	// the output key, else the first key naming a site or API URL.
	OutputsFile string
	Output      string
	// Local reads <DataDir>/endpoint.json ({"url": ...}) that the local
	// stack writes; DataDir defaults to .local/<App>.
	Local   bool
	DataDir string
	App     string
}

// ResolveTarget returns the base URL of the attack.
func ResolveTarget(src TargetSource) (string, error) {
	n := 0
	for _, set := range []bool{src.URL != "", src.OutputsFile != "", src.Local} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return "", fmt.Errorf("%w: give a URL, an outputs file or --local", ErrNoTarget)
	case n > 1:
		return "", fmt.Errorf("give only one of a URL, an outputs file or --local")
	case src.URL != "":
		return checkURL(src.URL)
	case src.Local:
		dirs := []string{src.DataDir}
		if src.DataDir == "" {
			if src.App == "" {
				return "", fmt.Errorf("--local: the scenario names no app; set -data-dir")
			}
			// .local/<app> is the agreed default; `campaignkit local` writes
			// .campaignkit/<app> unless given -data.
			dirs = []string{filepath.Join(".local", src.App), filepath.Join(".campaignkit", src.App)}
		}
		var tried []string
		for _, dir := range dirs {
			p := filepath.Join(dir, "endpoint.json")
			b, err := os.ReadFile(p)
			if errors.Is(err, fs.ErrNotExist) {
				tried = append(tried, p)
				continue
			}
			if err != nil {
				return "", fmt.Errorf("--local: read %s: %w", p, err)
			}
			var ep struct {
				URL string `json:"url"`
			}
			if err := json.Unmarshal(b, &ep); err != nil {
				return "", fmt.Errorf("--local: decode %s: %w", p, err)
			}
			if ep.URL == "" {
				return "", fmt.Errorf("--local: %s has no \"url\"", p)
			}
			return checkURL(ep.URL)
		}
		return "", fmt.Errorf("--local: no %s (is `campaignkit local %s` running?)", strings.Join(tried, " or "), src.App)
	}
	return fromOutputs(src.OutputsFile, src.Output)
}

// fromOutputs reads {"Stack": {"Key": "value"}} and picks the output.
func fromOutputs(path, key string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read outputs file: %w", err)
	}
	var stacks map[string]map[string]string
	if err := json.Unmarshal(b, &stacks); err != nil {
		return "", fmt.Errorf("decode outputs file %s: %w", path, err)
	}
	type cand struct{ stack, key, val string }
	var all []cand
	for s, outs := range stacks {
		for k, v := range outs {
			all = append(all, cand{s, k, v})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].stack+all[i].key < all[j].stack+all[j].key })
	if key != "" {
		for _, c := range all {
			if c.key == key || c.stack+"."+c.key == key {
				return checkURL(c.val)
			}
		}
		return "", fmt.Errorf("%w: output %q not in %s", ErrNoTarget, key, path)
	}
	// Prefer the site (CloudFront: what users hit), then an API URL.
	for _, words := range [][]string{{"site", "distribution", "cloudfront"}, {"api", "function", "endpoint"}, {"url"}} {
		for _, c := range all {
			k := strings.ToLower(c.key)
			if !strings.HasPrefix(c.val, "http") && !strings.Contains(k, "domain") {
				continue
			}
			for _, w := range words {
				if strings.Contains(k, w) {
					v := c.val
					if !strings.HasPrefix(v, "http") {
						v = "https://" + v
					}
					return checkURL(v)
				}
			}
		}
	}
	return "", fmt.Errorf("%w: no site or API URL output in %s; name one with -output", ErrNoTarget, path)
}

func checkURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("target %q: want http(s)://host[:port][/prefix]", s)
	}
	return strings.TrimRight(s, "/"), nil
}
