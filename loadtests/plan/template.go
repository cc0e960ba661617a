package plan

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Resource is one CloudFormation resource of a synthesized template.
type Resource struct {
	ID         string         `json:"-"`
	Template   string         `json:"-"`
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// Assembly is every resource of every template below a cloud assembly
// directory, plus the region its stacks deploy to (from manifest.json).
type Assembly struct {
	Dir       string
	Templates []string
	// Region is the region of the stack holding the web tier (see
	// RegionOf), else the most common stack region.
	Region    string
	Resources map[string]*Resource
	regions   map[string]string // template file name → region
}

// LoadAssembly reads every *.template.json under dir (nested stage
// assemblies included). Logical ids are prefixed with the template name
// when two templates share one.
func LoadAssembly(dir string) (*Assembly, error) {
	a := &Assembly{Dir: dir, Resources: map[string]*Resource{}, regions: map[string]string{}}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case strings.HasSuffix(path, ".template.json"):
			return a.addTemplate(path)
		case filepath.Base(path) == "manifest.json":
			for f, r := range manifestRegions(path) {
				a.regions[f] = r
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cloud assembly %s: %w", dir, err)
	}
	if len(a.Templates) == 0 {
		return nil, fmt.Errorf("cloud assembly %s: no *.template.json (run cdk synth first)", dir)
	}
	count := map[string]int{}
	for _, r := range a.regions {
		count[r]++
	}
	for r, n := range count {
		if n > count[a.Region] || n == count[a.Region] && r < a.Region {
			a.Region = r
		}
	}
	return a, nil
}

func (a *Assembly) addTemplate(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var t struct {
		Resources map[string]*Resource `json:"Resources"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	a.Templates = append(a.Templates, path)
	for id, r := range t.Resources {
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		key := id
		if _, dup := a.Resources[key]; dup {
			key = strings.TrimSuffix(filepath.Base(path), ".template.json") + "/" + id
		}
		r.ID = key
		r.Template = filepath.Base(path)
		a.Resources[key] = r
	}
	return nil
}

// manifestRegions maps each stack's template file to its region.
func manifestRegions(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	var m struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			Properties  struct {
				TemplateFile string `json:"templateFile"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if json.Unmarshal(b, &m) != nil {
		return out
	}
	for name, art := range m.Artifacts {
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		parts := strings.Split(art.Environment, "/")
		if len(parts) != 4 || parts[3] == "unknown-region" {
			continue
		}
		f := art.Properties.TemplateFile
		if f == "" {
			f = name + ".template.json"
		}
		out[f] = parts[3]
	}
	return out
}

// RegionOf is the region of the stack that holds r ("" when unknown).
func (a *Assembly) RegionOf(r *Resource) string {
	if r == nil {
		return ""
	}
	return a.regions[r.Template]
}

// OfType returns the resources of a CloudFormation type, by logical id.
func (a *Assembly) OfType(t string) []*Resource {
	var out []*Resource
	for _, r := range a.Resources {
		if r.Type == t {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// refs returns the logical ids a value refers to (Ref, Fn::GetAtt).
func refs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "Ref":
					if s, ok := val.(string); ok {
						out = append(out, s)
					}
				case "Fn::GetAtt":
					switch g := val.(type) {
					case []any:
						if len(g) > 0 {
							if s, ok := g[0].(string); ok {
								out = append(out, s)
							}
						}
					case string:
						out = append(out, strings.SplitN(g, ".", 2)[0])
					}
				default:
					walk(val)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// functionOf follows a reference to a Lambda function (through an alias or
// version) and returns the function resource.
func (a *Assembly) functionOf(v any) *Resource {
	for _, id := range refs(v) {
		r := a.Resources[id]
		if r == nil {
			continue
		}
		switch r.Type {
		case "AWS::Lambda::Function":
			return r
		case "AWS::Lambda::Alias", "AWS::Lambda::Version":
			if f := a.functionOf(r.Properties["FunctionName"]); f != nil {
				return f
			}
		}
	}
	return nil
}

// num reads a number from a template value (numbers or numeric strings).
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// path reads nested map keys.
func path(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}
