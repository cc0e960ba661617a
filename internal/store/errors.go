package store

import (
	"fmt"

	"github.com/aws/smithy-go"
)

// validationf returns a ValidationException shaped like the one the AWS
// SDK surfaces (*smithy.GenericAPIError with Code "ValidationException").
func validationf(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "ValidationException", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}
