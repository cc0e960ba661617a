package report

import (
	"fmt"
	"os"
	"path/filepath"
)

// File names a run writes into its output directory.
const (
	ResultsFile = "results.gob"
	SummaryFile = "summary.json"
	HTMLFile    = "report.html"
)

// WriteFiles writes summary.json and report.html into dir and returns
// their paths.
func WriteFiles(dir string, c *Collector, s *Summary) (summary, html string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("report dir: %w", err)
	}
	summary, html = filepath.Join(dir, SummaryFile), filepath.Join(dir, HTMLFile)
	if err := writeFile(summary, func(f *os.File) error { return s.WriteJSON(f) }); err != nil {
		return "", "", err
	}
	if err := writeFile(html, func(f *os.File) error { return c.WriteHTML(f, s) }); err != nil {
		return "", "", err
	}
	return summary, html, nil
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
