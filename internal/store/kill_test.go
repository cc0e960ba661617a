package store_test

func runKillChild(path string) int { return 0 }

const childEnv = "CK_STORE_KILL_CHILD"
