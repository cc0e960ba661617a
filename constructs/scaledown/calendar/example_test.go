package calendar_test

import (
	"fmt"
	"os"
	"time"

	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
)

// A one-day flash sale in Brussels on the night daylight saving time ends:
// capacity warms up an hour ahead, and the sale's end restores the default.
func ExampleCalendar_Resolve() {
	c := calendar.Calendar{
		TimeZone: "Europe/Brussels",
		WarmUp:   time.Hour,
		Default:  map[string]calendar.Level{"api": calendar.Fixed(0)},
		Phases: []calendar.Phase{{
			Name: "flash sale", Start: "2027-10-30T20:00", End: "2027-10-31T08:00",
			Levels: map[string]calendar.Level{"api": {Min: 50, Max: 400}},
		}},
	}
	plan, warnings, err := c.Resolve(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan.Format(os.Stdout)
	fmt.Println(len(warnings), "warnings")
	// Output:
	// LOCAL (Europe/Brussels)  UTC                TARGET  LEVEL    REASON   PHASE       EXPRESSION
	// 2027-10-30 19:00 CEST    2027-10-30 17:00Z  api     50..400  warm-up  flash sale  at(2027-10-30T19:00:00)
	// 2027-10-30 20:00 CEST    2027-10-30 18:00Z  api     50..400  phase    flash sale  at(2027-10-30T20:00:00)
	// 2027-10-31 08:00 CET     2027-10-31 07:00Z  api     0        restore  flash sale  at(2027-10-31T08:00:00)
	// 0 warnings
}
