// Package cfngate is campaignkit's quality gate for synthesized cloud
// assemblies: every CloudFormation template must pass cfn-lint with zero
// errors and carry zero unsuppressed cdk-nag findings. It reads files only;
// `campaignkit validate` and the CDK test helpers share it.
package cfngate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Finding is one problem found in a template.
type Finding struct {
	Tool     string // "cfn-lint" or "cdk-nag"
	Template string // template file (cfn-lint) or nag report (cdk-nag)
	Resource string // logical id / construct path / JSON path
	Rule     string // e.g. "E3012", "AwsSolutions-IAM5"
	Level    string // cfn-lint: Error/Warning/Informational; cdk-nag: Error/Warning
	Message  string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s %s [%s] %s: %s", f.Tool, f.Level, filepath.Base(f.Template), f.Rule, f.Resource, f.Message)
}

// Report is the gate's verdict on one or more assemblies.
type Report struct {
	Templates    []string
	NagReports   []string
	LintErrors   []Finding
	LintWarnings []Finding
	Nag          []Finding // unsuppressed cdk-nag findings
	Suppressed   int       // suppressed cdk-nag findings (each carries a reason)
}

// OK is true when there are no cfn-lint errors and no unsuppressed findings.
func (r *Report) OK() bool { return len(r.LintErrors) == 0 && len(r.Nag) == 0 }

// Err returns nil when the report is OK, else an error listing every failure.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "quality gate failed: %d cfn-lint error(s), %d unsuppressed cdk-nag finding(s)", len(r.LintErrors), len(r.Nag))
	for _, f := range append(append([]Finding{}, r.LintErrors...), r.Nag...) {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return errors.New(b.String())
}

// Summary is a one-line account of the report.
func (r *Report) Summary() string {
	return fmt.Sprintf("%d template(s): cfn-lint %d error(s), %d warning(s); cdk-nag %d report(s), %d unsuppressed, %d suppressed with reasons",
		len(r.Templates), len(r.LintErrors), len(r.LintWarnings), len(r.NagReports), len(r.Nag), r.Suppressed)
}

// ErrNoTemplates is returned by Check when a directory holds no template.
var ErrNoTemplates = errors.New("cfngate: no *.template.json found")

// ErrNoNagReports is returned by Check when templates exist but no cdk-nag
// report does: the app did not apply the packs (see nag.Apply).
var ErrNoNagReports = errors.New("cfngate: no cdk-nag reports found; apply the packs with nag.Apply(app)")

// Check gates every template and nag report below the given cloud assembly
// directories (nested stage assemblies included).
func Check(ctx context.Context, dirs ...string) (*Report, error) {
	r := &Report{}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			switch {
			case d.IsDir():
				return nil
			case strings.HasSuffix(name, ".template.json"):
				r.Templates = append(r.Templates, path)
			case strings.HasSuffix(name, "-NagReport.json"):
				r.NagReports = append(r.NagReports, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("cfngate: walk %s: %w", dir, err)
		}
	}
	if len(r.Templates) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoTemplates, strings.Join(dirs, ", "))
	}
	if len(r.NagReports) == 0 {
		return nil, ErrNoNagReports
	}
	sort.Strings(r.Templates)
	sort.Strings(r.NagReports)
	lint, err := Lint(ctx, r.Templates...)
	if err != nil {
		return nil, err
	}
	for _, f := range lint {
		if f.Level == "Error" {
			r.LintErrors = append(r.LintErrors, f)
		} else {
			r.LintWarnings = append(r.LintWarnings, f)
		}
	}
	for _, p := range r.NagReports {
		unsuppressed, suppressed, err := ReadNagReport(p)
		if err != nil {
			return nil, err
		}
		r.Nag = append(r.Nag, unsuppressed...)
		r.Suppressed += suppressed
	}
	return r, nil
}

type lintResult struct {
	Filename string
	Level    string
	Message  string
	Rule     struct{ Id string }
	Location struct {
		Path []any
	}
}

// Lint runs cfn-lint on the templates and returns every finding. cfn-lint
// must be on PATH (`make setup` installs it).
func Lint(ctx context.Context, templates ...string) ([]Finding, error) {
	if len(templates) == 0 {
		return nil, nil
	}
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		return nil, fmt.Errorf("cfngate: cfn-lint not found on PATH (run `make setup`): %w", err)
	}
	args := append([]string{"--format", "json", "--"}, templates...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// cfn-lint exits with a bit mask (2 errors, 4 warnings, 8 info); the
	// JSON on stdout is the verdict. Anything else is a failure to run.
	var results []lintResult
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &results); err != nil || stdout.Len() == 0 {
		return nil, fmt.Errorf("cfngate: cfn-lint did not report (%v): %s", runErr, strings.TrimSpace(stderr.String()+stdout.String()))
	}
	out := make([]Finding, 0, len(results))
	for _, x := range results {
		var path []string
		for _, p := range x.Location.Path {
			path = append(path, fmt.Sprint(p))
		}
		out = append(out, Finding{Tool: "cfn-lint", Template: x.Filename, Resource: strings.Join(path, "/"), Rule: x.Rule.Id, Level: x.Level, Message: x.Message})
	}
	return out, nil
}

type nagReport struct {
	Lines []struct {
		RuleID          string `json:"ruleId"`
		ResourceID      string `json:"resourceId"`
		Compliance      string `json:"compliance"`
		ExceptionReason string `json:"exceptionReason"`
		RuleLevel       string `json:"ruleLevel"`
		RuleInfo        string `json:"ruleInfo"`
	} `json:"lines"`
}

// ReadNagReport returns the unsuppressed findings in one cdk-nag JSON report
// and the number of suppressed ones.
func ReadNagReport(path string) (unsuppressed []Finding, suppressed int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("cfngate: read nag report: %w", err)
	}
	var rep nagReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, 0, fmt.Errorf("cfngate: parse nag report %s: %w", path, err)
	}
	for _, l := range rep.Lines {
		switch l.Compliance {
		case "Compliant":
		case "Suppressed":
			suppressed++
		default: // "Non-Compliant", and validation failures a rule could not evaluate
			unsuppressed = append(unsuppressed, Finding{Tool: "cdk-nag", Template: path, Resource: l.ResourceID, Rule: l.RuleID, Level: l.RuleLevel, Message: l.RuleInfo})
		}
	}
	return unsuppressed, suppressed, nil
}
