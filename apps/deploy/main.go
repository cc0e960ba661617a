// Command deploy is the root CDK app (cdk.json): it deploys one campaign
// file, chosen with `-c campaign=campaigns/<name>.yaml`, by its kind.
//
//	cdk synth  -c campaign=campaigns/charity-week-test.yaml
//	cdk deploy -c campaign=campaigns/charity-week.yaml --all
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"gopkg.in/yaml.v3"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
	"github.com/campaignkit/campaignkit/apps/charityevent/infra"
	"github.com/campaignkit/campaignkit/internal/nag"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if err := build(app); err != nil {
		fmt.Fprintln(os.Stderr, "campaignkit deploy:", err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// build adds the campaign named by the "campaign" context to app.
func build(app awscdk.App) error {
	path, _ := app.Node().TryGetContext(jsii.String("campaign")).(string)
	if path == "" {
		return fmt.Errorf("no campaign: run with -c campaign=campaigns/<name>.yaml")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read campaign: %w", err)
	}
	var head struct {
		Kind string `yaml:"kind"`
	}
	if err := yaml.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("campaign %s: %w", path, err)
	}
	nag.Apply(app)
	switch head.Kind {
	case config.Kind:
		c, err := config.Load(path)
		if err != nil {
			return err
		}
		root, _ := os.Getwd()
		infra.New(app, infra.Props{Campaign: c, SiteDir: filepath.Join(root, "apps", "charityevent", "site", "public")})
		return nil
	}
	return fmt.Errorf("campaign %s: kind %q has no app yet (known: %s)", path, head.Kind, config.Kind)
}
