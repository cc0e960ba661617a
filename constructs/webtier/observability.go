package webtier

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/ops"
)

// Alarms are the web tier's alarms; each notifies the alarm topic on ALARM
// and OK. ErrorRate and P99Duration also roll a CodeDeploy release back.
type Alarms struct {
	// ErrorRate fires when errors/invocations on the alias exceed
	// ErrorRatePercent in 2 of 3 minutes.
	ErrorRate awscloudwatch.Alarm
	// Throttles fires on any throttled invocation of the function in a minute
	// (reserved concurrency or the account quota is too low for the load).
	Throttles awscloudwatch.Alarm
	// P99Duration fires when the alias's p99 duration exceeds the P99Latency
	// SLO in 2 of 3 minutes.
	P99Duration awscloudwatch.Alarm
	// Spillover fires when invocations exceed the alias's provisioned
	// concurrency (ProvisionedConcurrencySpilloverInvocations) for 3 minutes
	// in a row: cold starts are reaching users.
	Spillover awscloudwatch.Alarm
}

// All returns every alarm.
func (a *Alarms) All() []awscloudwatch.Alarm {
	return []awscloudwatch.Alarm{a.ErrorRate, a.Throttles, a.P99Duration, a.Spillover}
}

func (a *Alarms) rollback() []awscloudwatch.Alarm {
	return []awscloudwatch.Alarm{a.ErrorRate, a.P99Duration}
}

func minute() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(1)) }

func (w *WebTier) metric(name, stat string) awscloudwatch.Metric {
	return w.alias.Metric(jsii.String(name), &awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Period: minute()})
}

func (w *WebTier) errorRate() awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("100 * FILL(errors, 0) / invocations"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":      w.metric("Errors", "Sum"),
			"invocations": w.metric("Invocations", "Sum"),
		},
		Label:  jsii.String("Error rate (%)"),
		Period: minute(),
	})
}

func (w *WebTier) buildAlarms() {
	c, cfg := w.scope, w.cfg
	w.topic = ops.AlarmTopic(c, "AlarmTopic", cfg.topic)
	p99ms := float64(w.capacity.P99Latency.Milliseconds())
	alarm := func(id, desc string, m awscloudwatch.IMetric, op awscloudwatch.ComparisonOperator, threshold, evals, points float64) awscloudwatch.Alarm {
		a := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(desc),
			Metric:             m,
			ComparisonOperator: op,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(evals),
			DatapointsToAlarm:  jsii.Number(points),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		ops.Notify(a, w.topic)
		return a
	}
	w.alarms = &Alarms{
		ErrorRate: alarm("ErrorRateAlarm",
			fmt.Sprintf("Web tier error rate above %g %% of invocations (2 of 3 minutes); rolls back a CodeDeploy release", cfg.errorPercent),
			w.errorRate(), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, cfg.errorPercent, 3, 2),
		Throttles: alarm("ThrottlesAlarm",
			"Web tier invocations throttled: reserved concurrency or the account concurrency quota is below the load",
			w.fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: minute()}),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1, 1, 1),
		P99Duration: alarm("P99DurationAlarm",
			fmt.Sprintf("Web tier p99 duration above the %g ms SLO (2 of 3 minutes); rolls back a CodeDeploy release", p99ms),
			w.metric("Duration", "p99"), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, p99ms, 3, 2),
		Spillover: alarm("SpilloverAlarm",
			"Invocations spilled over the alias's provisioned concurrency for 3 minutes: raise ProvisionedMax/the schedule or expect cold starts",
			w.metric("ProvisionedConcurrencySpilloverInvocations", "Sum"),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1, 3, 3),
	}
}

func (w *WebTier) buildDashboard() {
	p99ms := float64(w.capacity.P99Latency.Milliseconds())
	graph := func(title string, left, right []awscloudwatch.IMetric, ann []*awscloudwatch.HorizontalAnnotation) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Width: jsii.Number(12), Height: jsii.Number(6),
			Left: &left, Right: &right, LeftAnnotations: &ann,
		})
	}
	w.dashboard = awscloudwatch.NewDashboard(w.scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				graph("Invocations and errors", []awscloudwatch.IMetric{w.metric("Invocations", "Sum"), w.metric("Errors", "Sum")},
					[]awscloudwatch.IMetric{w.errorRate()}, nil),
				graph("Duration (ms)", []awscloudwatch.IMetric{w.metric("Duration", "p50"), w.metric("Duration", "p99")}, nil,
					[]*awscloudwatch.HorizontalAnnotation{{Value: jsii.Number(p99ms), Label: jsii.String("p99 SLO")}}),
			},
			{
				graph("Concurrency", []awscloudwatch.IMetric{w.metric("ConcurrentExecutions", "Maximum"), w.metric("ProvisionedConcurrentExecutions", "Maximum")}, nil,
					[]*awscloudwatch.HorizontalAnnotation{
						{Value: jsii.Number(float64(w.capacity.ReservedConcurrency)), Label: jsii.String("reserved")},
						{Value: jsii.Number(float64(w.capacity.ProvisionedMax)), Label: jsii.String("provisioned max")},
					}),
				graph("Spillover and throttles (left), provisioned-concurrency utilization (right)", []awscloudwatch.IMetric{
					w.metric("ProvisionedConcurrencySpilloverInvocations", "Sum"),
					w.fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: minute()}),
				}, []awscloudwatch.IMetric{w.metric("ProvisionedConcurrencyUtilization", "Maximum")}, nil),
			},
		},
	})
}

// Dashboard returns the CloudWatch dashboard, or nil when Props.Dashboard is false.
func (w *WebTier) Dashboard() awscloudwatch.Dashboard { return w.dashboard }
