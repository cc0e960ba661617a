package queuedwriter

import (
	"math"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

func removal(production bool) awscdk.RemovalPolicy {
	if production {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

func (q *QueuedWriter) newTable(r *resolved) {
	s := r.DynamoDB
	props := &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: jsii.Bool(r.production),
		RemovalPolicy:      removal(r.production),
	}
	if s.WriteCapacity != nil {
		props.BillingMode = awsdynamodb.BillingMode_PROVISIONED
		props.WriteCapacity = s.WriteCapacity
		props.ReadCapacity = jsii.Number(num(s.ReadCapacity, 5))
	}
	if s.WarmWriteUnitsPerSecond != nil || s.WarmReadUnitsPerSecond != nil {
		props.WarmThroughput = &awsdynamodb.WarmThroughput{
			WriteUnitsPerSecond: jsii.Number(num(s.WarmWriteUnitsPerSecond, 4000)),
			ReadUnitsPerSecond:  jsii.Number(num(s.WarmReadUnitsPerSecond, 12000)),
		}
	}
	if s.EncryptionKey != nil {
		props.Encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
		props.EncryptionKey = s.EncryptionKey
	}
	q.table = awsdynamodb.NewTable(q.construct, jsii.String("Table"), props)
	// Conditional puts and updates (idempotency, counter coalescing),
	// BatchWriteItem, TransactWriteItems (needs the item-level actions),
	// GetItem to read back an idempotency record.
	q.table.Grant(q.role,
		jsii.String("dynamodb:BatchWriteItem"),
		jsii.String("dynamodb:PutItem"),
		jsii.String("dynamodb:UpdateItem"),
		jsii.String("dynamodb:ConditionCheckItem"),
		jsii.String("dynamodb:GetItem"),
		jsii.String("dynamodb:DescribeTable"),
	)
	if s.EncryptionKey != nil {
		s.EncryptionKey.Grant(q.role, jsii.String("kms:Decrypt"), jsii.String("kms:Encrypt"),
			jsii.String("kms:GenerateDataKey"), jsii.String("kms:DescribeKey"))
	}
}

// vpcPlacement is where the writer runs when the sink lives in a VPC.
type vpcPlacement struct {
	vpc      awsec2.IVpc
	subnets  *awsec2.SubnetSelection
	writerSG awsec2.SecurityGroup
}

func (q *QueuedWriter) newAurora(r *resolved) *vpcPlacement {
	s := r.Aurora
	c := q.construct
	vpc, subnets := s.Vpc, s.VpcSubnets
	var endpoint awsec2.InterfaceVpcEndpoint
	if vpc == nil {
		isolated := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
		v := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
			MaxAzs:      jsii.Number(2),
			NatGateways: jsii.Number(0),
			SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
				Name: jsii.String("data"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24),
			}},
			// The restriction is a custom resource Lambda with an AWS
			// managed policy; nothing is placed in the default group.
			RestrictDefaultSecurityGroup: jsii.Bool(false),
		})
		v.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
			Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(ops.LogGroup(c, "FlowLogs", r.LogRetention, r.production), nil),
			TrafficType: awsec2.FlowLogTrafficType_ALL,
		})
		// Isolated subnets have no route out: the writer (secret) and the
		// rotation function reach Secrets Manager through this endpoint.
		endpoint = v.AddInterfaceEndpoint(jsii.String("SecretsManagerEndpoint"), &awsec2.InterfaceVpcEndpointOptions{
			Service:           awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER(),
			Subnets:           isolated,
			PrivateDnsEnabled: jsii.Bool(true),
			Open:              jsii.Bool(false), // only the writer and the rotation function

		})
		vpc = v
		if subnets == nil {
			subnets = isolated
		}
	} else if subnets == nil {
		subnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	}
	q.vpc = vpc

	writerSG := awsec2.NewSecurityGroup(c, jsii.String("WriterSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("campaignkit queued writer: egress to RDS Proxy and to HTTPS VPC endpoints only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	if endpoint != nil {
		// Created VPC: HTTPS only to the Secrets Manager endpoint.
		endpoint.Connections().AllowDefaultPortFrom(writerSG, jsii.String("campaignkit queued writer to Secrets Manager"))
	} else {
		// Given VPC: AWS APIs through the VPC's NAT or its endpoints.
		writerSG.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS to AWS APIs (Secrets Manager) via NAT or VPC endpoints"), nil)
	}

	engine := s.Engine
	if engine == nil {
		engine = awsrds.DatabaseClusterEngine_AuroraPostgres(&awsrds.AuroraPostgresClusterEngineProps{
			Version: awsrds.AuroraPostgresEngineVersion_VER_16_6(),
		})
	}
	q.cluster = awsrds.NewDatabaseCluster(c, jsii.String("Cluster"), &awsrds.DatabaseClusterProps{
		Engine: engine,
		Writer: awsrds.ClusterInstance_ServerlessV2(jsii.String("Writer"), &awsrds.ServerlessV2ClusterInstanceProps{
			AutoMinorVersionUpgrade: jsii.Bool(true),
		}),
		Readers: &[]awsrds.IClusterInstance{
			// A reader in the tier of the writer fails over at full size.
			awsrds.ClusterInstance_ServerlessV2(jsii.String("Reader"), &awsrds.ServerlessV2ClusterInstanceProps{
				AutoMinorVersionUpgrade: jsii.Bool(true),
				ScaleWithWriter:         jsii.Bool(true),
			}),
		},
		ServerlessV2MinCapacity: jsii.Number(r.minACU),
		ServerlessV2MaxCapacity: jsii.Number(r.maxACU),
		Vpc:                     vpc,
		VpcSubnets:              subnets,
		Credentials:             awsrds.Credentials_FromGeneratedSecret(jsii.String(DefaultDatabaseUser), nil),
		DefaultDatabaseName:     jsii.String(r.dbName),
		StorageEncrypted:        jsii.Bool(true),
		IamAuthentication:       jsii.Bool(true),
		DeletionProtection:      jsii.Bool(r.production),
		RemovalPolicy:           removal(r.production),
		Backup: &awsrds.BackupProps{
			Retention: dur(seconds(s.BackupRetention, DefaultBackupRetentionDays*86400)),
		},
		CloudwatchLogsExports: &[]*string{jsii.String("postgresql")},
		CopyTagsToSnapshot:    jsii.Bool(true),
	})
	rotationSG := awsec2.NewSecurityGroup(c, jsii.String("RotationSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         vpc,
		Description: jsii.String("campaignkit queued writer: secret rotation function"),
	})
	if endpoint != nil {
		endpoint.Connections().AllowDefaultPortFrom(rotationSG, jsii.String("secret rotation to Secrets Manager"))
	}
	q.cluster.AddRotationSingleUser(&awsrds.RotationSingleUserOptions{
		AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(DefaultSecretRotationDays)),
		VpcSubnets:         subnets,
		Endpoint:           endpoint,
		SecurityGroup:      rotationSG,
	})
	q.proxy = q.cluster.AddProxy(jsii.String("Proxy"), &awsrds.DatabaseProxyOptions{
		// Proxy names are account-wide: derive one from the construct path.
		DbProxyName: awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{
			MaxLength: jsii.Number(60), Separator: jsii.String("-"),
		}),
		Vpc:                   vpc,
		VpcSubnets:            subnets,
		Secrets:               &[]awssecretsmanager.ISecret{q.cluster.Secret()},
		IamAuth:               jsii.Bool(true),
		RequireTLS:            jsii.Bool(true),
		MaxConnectionsPercent: jsii.Number(r.maxConnPct),
		// Fail a connection wait well inside the function timeout, so the
		// writer reports batch item failures instead of timing out.
		BorrowTimeout: dur(math.Max(1, math.Floor(r.derived.TimeoutSeconds/2))),
		DebugLogging:  jsii.Bool(false),
	})
	q.cluster.Connections().AllowDefaultPortFrom(q.proxy, jsii.String("RDS Proxy to the Aurora cluster"))

	rds := []nag.Rule{{ID: "AwsSolutions-RDS11", Reason: "Clients never reach the cluster directly: only the RDS Proxy's security group may connect, and the proxy endpoint speaks PostgreSQL's port. A non-default port adds obscurity, not protection."}}
	if !r.production {
		rds = append(rds, nag.Rule{ID: "AwsSolutions-RDS10", Reason: "Non-production stage: the cluster must go away with the campaign's stack. Production stages (Props.Production) set deletion protection and RETAIN."})
	}
	nag.Suppress(q.cluster, rds...)
	return &vpcPlacement{vpc: vpc, subnets: subnets, writerSG: writerSG}
}

// wireAurora lets the writer reach the proxy (network and IAM) once the
// function exists.
func (q *QueuedWriter) wireAurora() {
	q.proxy.Connections().AllowFrom(q.fn.Function, awsec2.Port_Tcp(jsii.Number(postgresPort)), jsii.String("campaignkit queued writer to RDS Proxy"))
	q.proxy.GrantConnect(q.role, jsii.String(DefaultDatabaseUser))
	q.cluster.Secret().GrantRead(q.role, nil)
	// What AWSLambdaVPCAccessExecutionRole grants, written out: Lambda
	// manages the function's network interfaces with the function's role.
	q.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
			"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
		Resources: jsii.Strings("*"),
	}))
}
