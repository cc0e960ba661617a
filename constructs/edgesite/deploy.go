package edgesite

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// deploy uploads dir in three BucketDeployments, one per cache class, each
// with the Cache-Control of edgerules, in an order that never serves a
// page whose assets are missing:
//
//  1. assets (immutable), never pruned: pages cached at the edge or open
//     in a browser keep the fingerprints they reference;
//  2. other files (short max-age), pruned, with pages and assets excluded
//     from the prune;
//  3. pages (no-cache), pruned, only *.html considered.
//
// The files are split by edgerules.Config.Classify (the same rule the
// local stack serves with) into staging folders, so each deployment's
// source holds exactly its class. No CloudFront invalidation is issued:
// pages are held at the edge for at most HTMLEdgeTTL and assets get new
// names, so a deploy never waits on a /* invalidation.
func (s *Site) deploy(scope constructs.Construct, dir string) []awss3deployment.BucketDeployment {
	staged, err := stage(dir, s.rules)
	if err != nil {
		panic(fmt.Errorf("edgesite: SiteDir: %w", err))
	}
	if staged[edgerules.ClassHTML] == "" {
		panic(fmt.Errorf("edgesite: SiteDir %s has no .html page; build the site first (index.html is served for /)", dir))
	}
	logs := ops.LogGroup(scope, "DeployLogs", awslogs.RetentionDays_TWO_WEEKS, false)
	assetsGlob := strings.TrimPrefix(s.rules.AssetsPrefix, "/") + "*"
	plan := []struct {
		id      string
		class   edgerules.Class
		prune   bool
		exclude []string
		include []string
	}{
		{"DeployAssets", edgerules.ClassAsset, false, nil, nil},
		{"DeployOther", edgerules.ClassOther, true, []string{"*.html", assetsGlob}, nil},
		{"DeployPages", edgerules.ClassHTML, true, []string{"*"}, []string{"*.html"}},
	}
	var out []awss3deployment.BucketDeployment
	for _, step := range plan {
		src := staged[step.class]
		if src == "" {
			continue
		}
		d := awss3deployment.NewBucketDeployment(scope, jsii.String(step.id), &awss3deployment.BucketDeploymentProps{
			DestinationBucket: s.bucket,
			Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(src), nil)},
			CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(step.class.CacheControl()))},
			Prune:             jsii.Bool(step.prune),
			Exclude:           jsii.Strings(step.exclude...),
			Include:           jsii.Strings(step.include...),
			MemoryLimit:       jsii.Number(512),
			LogGroup:          logs,
		})
		if len(out) > 0 {
			d.Node().AddDependency(out[len(out)-1])
		}
		out = append(out, d)
	}
	return out
}

// stage copies the files of dir into one temporary folder per cache class
// and returns the folders ("" for an empty class).
func stage(dir string, rules edgerules.Config) (map[edgerules.Class]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	out := map[edgerules.Class]string{}
	root, err := os.MkdirTemp("", "edgesite-stage-")
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		class := rules.Classify(filepath.ToSlash(rel))
		if out[class] == "" {
			out[class] = filepath.Join(root, class.String())
		}
		return copyFile(path, filepath.Join(out[class], rel))
	})
	return out, err
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
