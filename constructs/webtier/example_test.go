package webtier_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/webtier"
)

// A campaign states its target; Plan shows what New will configure, without
// synthesizing: 2,000,000 users sending a request every 10 s at 20 ms each.
func ExampleProps_Plan() {
	props := &webtier.Props{
		Entry:               jsii.String("github.com/campaignkit/campaignkit/lambdas/hello"),
		PeakConcurrentUsers: jsii.Number(2_000_000),
		ThinkTime:           awscdk.Duration_Seconds(jsii.Number(10)),
		MeanDuration:        awscdk.Duration_Millis(jsii.Number(20)),
		P99Latency:          awscdk.Duration_Millis(jsii.Number(250)),
	}
	c, err := props.Plan()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.0f rps, peak concurrency %d, reserved %d, provisioned %d–%d at %.0f%% utilization\n",
		c.RequestsPerSecond, c.PeakConcurrency, c.ReservedConcurrency, c.ProvisionedMin, c.ProvisionedMax, c.TargetUtilization*100)
	// Output: 200000 rps, peak concurrency 4000, reserved 4800, provisioned 400–4000 at 70% utilization
}
