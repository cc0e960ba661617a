package main

// The campaign apps `campaignkit local` can run register themselves here.
import _ "github.com/campaignkit/campaignkit/apps/charityevent/localapp"
